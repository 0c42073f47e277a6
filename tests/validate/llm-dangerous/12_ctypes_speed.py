# expect: import-not-allowed
import ctypes

libc = ctypes.CDLL(None)


class FastStrategy:
    def generate_signals(self, n):
        return [libc.rand() % 3 - 1 for _ in range(n)]
