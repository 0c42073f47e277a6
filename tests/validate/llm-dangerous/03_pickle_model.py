# expect: import-not-allowed
import pickle

import numpy as np


class MLStrategy:
    def initialize(self, features):
        with open("model.pkl", "rb") as f:
            self.model = pickle.load(f)
        self.features = np.asarray(features)

    def generate_signals(self):
        return self.model.predict(self.features)
