# expect: banned-identifier
import numpy.f2py
