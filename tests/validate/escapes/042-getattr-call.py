# expect: banned-builtin
cls = getattr((), 'mro')
