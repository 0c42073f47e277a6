# expect: import-not-allowed
import builtins
builtins.eval('1')
