# expect: import-not-allowed
import marshal
