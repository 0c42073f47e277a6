# expect: banned-builtin
ℯval('1')
