import math
from collections import deque, Counter

window = deque(maxlen=10)
crossings = Counter()
price = 100.0
for step in range(300):
    price *= math.exp(0.01 * math.sin(step / 7.0))
    window.append(price)
    if len(window) == window.maxlen:
        avg = sum(window) / len(window)
        crossings["above" if price > avg else "below"] += 1
print(dict(crossings))
