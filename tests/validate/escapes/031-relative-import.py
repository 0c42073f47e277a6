# expect: relative-import
from . import secrets
