# expect: dunder-attribute
d = object.__dict__
