# expect: import-not-allowed
try:
    import os
except ImportError:
    pass
