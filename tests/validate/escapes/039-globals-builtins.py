# expect: banned-builtin
b = globals()['__builtins__']
