# expect: dunder-name
def __getattr__(name):
    return name
