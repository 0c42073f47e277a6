# expect: dunder-attribute
r = (1).__reduce_ex__(2)
