# expect: banned-identifier
import pandas as pd
df = pd.read_pickle('/tmp/evil.pkl')
