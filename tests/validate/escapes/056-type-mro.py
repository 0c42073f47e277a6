# expect: dunder-attribute
m = type(1).__mro__
