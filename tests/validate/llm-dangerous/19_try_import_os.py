# expect: import-not-allowed
try:
    import os
    HOME = os.path.expanduser("~")
except ImportError:
    os = None
    HOME = "/tmp"
