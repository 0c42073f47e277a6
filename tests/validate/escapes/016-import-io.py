# expect: import-not-allowed
import _io
