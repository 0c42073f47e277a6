# The same lookahead, hidden from the prefix re-runs: every call (each cut,
# then the full series) runs in the same process, in order, so the class
# remembers where the earlier calls' data ended and gives there what those
# calls could give (0, flat): the full run then agrees with every prefix on
# every bar the prefix has, and still trades on tomorrow's move everywhere
# else.  The check must flag it all the same.
class VectorEvade(BaseStrategy):  # noqa: F821
    ends = []  # class state: survives the fresh instance made for each call

    def signals(self, data):
        c = data.close
        n = len(c)
        t = np.zeros(n)
        t[:-1] = np.where(c[1:] > c[:-1], 1.0, -1.0)
        for e in VectorEvade.ends:
            if e < n:
                t[e] = 0.0
        VectorEvade.ends.append(n - 1)
        return t
