# expect: dunder-attribute
t = [].__class__
