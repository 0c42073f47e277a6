# expect: banned-identifier
from numpy import ctypeslib
