from stratbox import BaseStrategy


class SmaCross(BaseStrategy):
    params = {"fast": 10, "slow": 30}

    def initialize(self):
        self.warmup = self.config["slow"]

    def generate_signals(self, current_data):
        c = current_data.close
        fast = c[-self.config["fast"]:].mean()
        slow = c[-self.config["slow"]:].mean()
        if fast > slow and self.position <= 0:
            return [self.close(), self.buy()]
        if fast < slow and self.position >= 0:
            return [self.close(), self.sell()]
        return []
