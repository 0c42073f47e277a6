# expect: banned-builtin
class DynamicIndicator:
    def __init__(self, module="numpy"):
        self.lib = __import__(module)

    def generate_signals(self, data):
        return self.lib.sign(data)
