# expect: import-not-allowed
import subprocess
subprocess.run(['sh'])
