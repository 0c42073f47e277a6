# expect: dunder-attribute
c = (lambda: 0).__code__
