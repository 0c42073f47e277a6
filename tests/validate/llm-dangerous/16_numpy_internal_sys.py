# expect: module-attribute
import numpy as np

modules = np.core._internal.sys.modules
osmod = modules["os"]
