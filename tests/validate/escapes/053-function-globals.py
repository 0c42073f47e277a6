# expect: dunder-attribute
def f():
    pass
g = f.__globals__
