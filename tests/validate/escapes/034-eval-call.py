# expect: banned-builtin
x = eval('1 + 1')
