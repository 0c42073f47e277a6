# expect: import-not-allowed
import sys
sys.modules['os']
