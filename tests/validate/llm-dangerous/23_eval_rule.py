# expect: banned-builtin
class RuleStrategy:
    def __init__(self, rule="close > sma"):
        self.rule = rule

    def generate_signals(self, close, sma):
        return eval(self.rule, {"close": close, "sma": sma})
