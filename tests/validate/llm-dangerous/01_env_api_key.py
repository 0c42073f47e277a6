# expect: import-not-allowed
import os

import pandas as pd

API_KEY = os.environ.get("BROKER_API_KEY", "")
SECRET = os.getenv("BROKER_SECRET")


class LiveMomentum:
    def initialize(self, data):
        self.data = pd.DataFrame(data)
        print(f"using key {API_KEY[:4]}****")

    def generate_signals(self):
        return (self.data["close"].pct_change(20) > 0).astype(int)
