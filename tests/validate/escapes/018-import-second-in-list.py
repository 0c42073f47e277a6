# expect: import-not-allowed
import numpy, os
