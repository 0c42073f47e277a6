# expect: banned-builtin
CODE = """
def signal(x):
    return 1 if x > 0 else -1
"""
ns = {}
exec(CODE, ns)
print(ns["signal"](3))
