# expect: import-not-allowed
import importlib


class PluginStrategy:
    def initialize(self, plugin_name="indicators.custom"):
        self.plugin = importlib.import_module(plugin_name)

    def generate_signals(self, data):
        return self.plugin.compute(data)
