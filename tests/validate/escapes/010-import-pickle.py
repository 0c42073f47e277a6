# expect: import-not-allowed
import pickle
pickle.loads(b'')
