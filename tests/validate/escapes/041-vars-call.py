# expect: banned-builtin
v = vars(object)
