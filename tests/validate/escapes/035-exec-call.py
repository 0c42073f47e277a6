# expect: banned-builtin
exec('import os')
