# expect: dunder-attribute
s = f'{[].__class__!r}'
