from stratbox import BaseStrategy

import numpy as np

class Vec(BaseStrategy):
    params = {"fast": 10, "slow": 30}
    def signals(self, data):
        c = data.close
        f = np.convolve(c, np.ones(self.config["fast"]) / self.config["fast"], "full")[:len(c)]
        s = np.convolve(c, np.ones(self.config["slow"]) / self.config["slow"], "full")[:len(c)]
        t = np.where(f > s, 1.0, -1.0)
        t[: self.config["slow"]] = np.nan
        return t
