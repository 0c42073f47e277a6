# expect: banned-builtin
os = __import__('os')
