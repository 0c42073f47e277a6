# expect: import-not-allowed
import multiprocessing
