# expect: import-not-allowed
from os.path import join
