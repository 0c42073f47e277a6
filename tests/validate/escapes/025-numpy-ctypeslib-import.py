# expect: banned-identifier
import numpy.ctypeslib
