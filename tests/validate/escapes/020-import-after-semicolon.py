# expect: import-not-allowed
x = 1; import os
