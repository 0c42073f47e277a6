# expect: dunder-name
l = __loader__
