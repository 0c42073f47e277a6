# expect: import-not-allowed
import pandas as pd
import requests


class LiveDataStrategy:
    def initialize(self, symbol="AAPL"):
        resp = requests.get(f"https://api.example.com/prices/{symbol}", timeout=10)
        self.df = pd.DataFrame(resp.json()["prices"])

    def generate_signals(self):
        return (self.df["close"] > self.df["close"].rolling(20).mean()).astype(int)
