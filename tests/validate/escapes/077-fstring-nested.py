# expect: banned-builtin
s = f"{f'{getattr(1, 2)}'}"
