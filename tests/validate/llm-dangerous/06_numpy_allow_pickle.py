# expect: banned-identifier
import numpy as np


class PretrainedWeights:
    def initialize(self, x):
        self.w = np.load("weights.npy", allow_pickle=True)
        self.x = np.asarray(x)

    def generate_signals(self):
        return np.sign(self.x @ self.w)
