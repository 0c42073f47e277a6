# expect: import-not-allowed
import threading
