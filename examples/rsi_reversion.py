"""RSI mean reversion with a stop-loss and a take-profit on every trade.

Buy when Wilder's RSI falls below `oversold`; the trade carries a stop-loss
`sl_pct` below and a take-profit `tp_pct` above the current Close, which the
engine checks on every later bar (a bar that reaches both takes the
stop-loss).  Leave early when the RSI climbs back above `exit_level`.

Run it (from the top of the source tree, after `make`):

    build/stratbox backtest examples/rsi_reversion.py --symbols ORCL --commission 0.001

Tighter bands, or another market:

    build/stratbox backtest examples/rsi_reversion.py --symbols ORCL --param oversold=25 --param sl_pct=0.05
    build/stratbox backtest examples/rsi_reversion.py --symbols GOOG --commission 0.001

The trades in the JSON result (`--json`) say how each ended: "sl", "tp",
"order" (the RSI exit) or "end".
"""

from stratbox import BaseStrategy


class RsiReversion(BaseStrategy):
    params = {
        "period": 14,        # RSI lookback (Wilder's smoothing)
        "oversold": 30,      # buy below this
        "exit_level": 55,    # close above this
        "sl_pct": 0.08,      # stop-loss 8 % under the Close the order is placed at
        "tp_pct": 0.12,      # take-profit 12 % over it
        "size": 0.95,        # fraction of the available equity per trade
    }

    def initialize(self):
        cfg = self.config
        self.period = int(cfg["period"])
        self.oversold = float(cfg["oversold"])
        self.exit_level = float(cfg["exit_level"])
        self.sl_pct = float(cfg["sl_pct"])
        self.tp_pct = float(cfg["tp_pct"])
        self.size = float(cfg["size"])
        # the first call has period + 1 Closes: `period` changes to seed the average
        self.warmup = self.period
        self.avg_gain = self.avg_loss = None

    def rsi(self, close):
        """Wilder's RSI, kept up to date one bar at a time.  The engine calls
        generate_signals() on every bar from the warmup on, so the state
        below advances exactly one Close per call."""
        n = self.period
        if self.avg_gain is None:
            # the first call: a simple average of the first n changes
            diff = close[1:n + 1] - close[:n]
            self.avg_gain = diff.clip(min=0).mean()
            self.avg_loss = (-diff).clip(min=0).mean()
        else:
            change = close[-1] - close[-2]
            self.avg_gain = (self.avg_gain * (n - 1) + max(change, 0.0)) / n
            self.avg_loss = (self.avg_loss * (n - 1) + max(-change, 0.0)) / n
        if self.avg_loss == 0:
            return 100.0
        return 100.0 - 100.0 / (1.0 + self.avg_gain / self.avg_loss)

    def generate_signals(self, current_data):
        close = current_data.close
        rsi = self.rsi(close)
        price = float(close[-1])

        if self.position == 0 and rsi < self.oversold:
            # a market order: it fills at the next bar's Open.  sl and tp
            # must lie on either side of the current Close (the engine
            # refuses a stop-loss above a long's entry, a common sign slip)
            return [self.buy(size=self.size,
                             sl=price * (1 - self.sl_pct),
                             tp=price * (1 + self.tp_pct))]
        if self.position > 0 and rsi > self.exit_level:
            # close() also removes the trade's stop-loss and take-profit
            return [self.close()]
        return []
