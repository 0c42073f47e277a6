# expect: import-not-allowed
from os import path
import json

CONFIG = path.join(path.expanduser("~"), ".strategy", "config.json")


class ConfiguredStrategy:
    def initialize(self, data):
        with open(CONFIG) as f:
            self.cfg = json.load(f)
        self.data = data

    def generate_signals(self):
        return [1 if x > self.cfg["level"] else 0 for x in self.data]
