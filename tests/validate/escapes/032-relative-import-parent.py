# expect: relative-import
from ..pkg import thing
