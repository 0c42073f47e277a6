import json

import numpy as np

try:
    with open("/workspace/data.json") as f:
        payload = json.load(f)
except OSError:
    payload = {"close": list(np.linspace(100, 110, 50))}
close = np.asarray(payload.get("close", []), dtype=float)
summary = {"n": int(close.size), "first": float(close[0]), "last": float(close[-1])}
print(json.dumps(summary, sort_keys=True))
