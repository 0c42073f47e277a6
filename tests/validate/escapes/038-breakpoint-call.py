# expect: banned-builtin
breakpoint()
