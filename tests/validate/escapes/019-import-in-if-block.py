# expect: import-not-allowed
if True: import os
