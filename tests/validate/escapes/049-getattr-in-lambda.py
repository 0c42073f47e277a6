# expect: banned-builtin
g = lambda o, n: getattr(o, n)
