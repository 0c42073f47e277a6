# expect: banned-builtin
import numpy as np

ns = vars(np)
