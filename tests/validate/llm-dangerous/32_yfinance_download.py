# expect: import-not-allowed
import yfinance as yf


class YahooStrategy:
    def initialize(self):
        self.df = yf.download("SPY", period="1y")

    def generate_signals(self):
        return self.df["Close"].pct_change() > 0
