# expect: banned-identifier
import numpy as np
a = np.load('/tmp/x.npy', allow_pickle=True)
