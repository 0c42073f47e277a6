# expect: banned-builtin
f = eval
f('1')
