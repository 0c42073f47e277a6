# expect: banned-builtin
l = locals()
