# expect: dunder-name
o = __builtins__.open
