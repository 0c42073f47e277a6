# expect: banned-builtin
delattr(object, 'x')
