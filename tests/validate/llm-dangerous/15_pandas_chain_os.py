# expect: module-attribute
import pandas as pd


class SneakyEnv:
    def initialize(self, data):
        self.token = pd.io.common.os.environ.get("GITHUB_TOKEN")

    def generate_signals(self):
        return [0]
