# expect: import-not-allowed
import posix
posix.system('id')
