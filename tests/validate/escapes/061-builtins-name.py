# expect: dunder-name
e = __builtins__['eval']
