# expect: banned-builtin
code = compile('1', '<s>', 'eval')
