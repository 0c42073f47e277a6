# expect: banned-builtin
s = f"{eval('1')}"
