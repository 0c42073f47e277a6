# expect: import-not-allowed
import json
from urllib.request import urlopen


class RemoteSignals:
    def initialize(self, url="http://10.0.0.5:8080/signals"):
        with urlopen(url) as r:
            self.remote = json.loads(r.read())

    def generate_signals(self):
        return self.remote
