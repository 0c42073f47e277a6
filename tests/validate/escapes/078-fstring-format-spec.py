# expect: banned-builtin
s = f'{1:{getattr}}'
