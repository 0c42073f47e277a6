# expect: banned-identifier
import numpy as np
lib = np.ctypeslib.load_library('libc', '/lib')
