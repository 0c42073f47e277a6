# expect: import-not-allowed
import importlib
os = importlib.import_module('os')
