# expect: banned-builtin
setattr(object, 'x', 1)
