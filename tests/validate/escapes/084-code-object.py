# expect: banned-identifier
def f():
    pass
x = f.co_code if hasattr(f, 'co_code') else None
