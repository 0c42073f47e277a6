# expect: import-not-allowed
import os as numpy
numpy.system('id')
