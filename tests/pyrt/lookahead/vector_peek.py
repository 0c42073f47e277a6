# A vectorised strategy that trades on tomorrow's move: the prefix re-runs
# must flag it (lookahead_bars not empty).
class VectorPeek(BaseStrategy):  # noqa: F821
    def signals(self, data):
        c = data.close
        t = np.zeros(len(c))
        t[:-1] = np.where(c[1:] > c[:-1], 1.0, -1.0)
        return t
