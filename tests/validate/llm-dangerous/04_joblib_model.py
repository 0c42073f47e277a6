# expect: import-not-allowed
import joblib
import pandas as pd


class RandomForestStrategy:
    def initialize(self, df: pd.DataFrame) -> None:
        self.model = joblib.load("rf_model.joblib")
        self.df = df

    def generate_signals(self):
        return self.model.predict(self.df[["ret_1", "ret_5", "vol_20"]])
