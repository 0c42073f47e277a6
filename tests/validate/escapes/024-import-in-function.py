# expect: import-not-allowed
def f():
    import subprocess
    return subprocess
