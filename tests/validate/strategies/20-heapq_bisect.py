import bisect
import heapq

import numpy as np

rng = np.random.default_rng(11)
scores = {f"SYM{i}": float(x) for i, x in enumerate(rng.normal(0, 1, 30))}
top = heapq.nlargest(5, scores.items(), key=lambda kv: kv[1])
breakpoints = [-1.0, 0.0, 1.0]
buckets = [bisect.bisect(breakpoints, v) for v in scores.values()]
print([k for k, _ in top], np.bincount(buckets).tolist())
