# expect: dunder-name
s = __spec__
