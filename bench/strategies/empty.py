from stratbox import BaseStrategy


class Empty(BaseStrategy):
    """Asks for nothing: what a bar's exchange costs without the strategy's work."""

    def generate_signals(self, current_data):
        return None
