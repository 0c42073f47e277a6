import numpy as np

rng = np.random.default_rng(0)
n = 256
t = np.arange(n)
series = np.sin(2 * np.pi * t / 32) + 0.3 * rng.normal(size=n)
spectrum = np.abs(np.fft.rfft(series))
dominant_period = n / np.argmax(spectrum[1:]).item() if spectrum[1:].argmax() else float("inf")
cov = np.cov(rng.normal(size=(3, 200)))
weights = np.linalg.solve(cov, np.ones(3))
weights /= weights.sum()
print(f"period~{n / (np.argmax(spectrum[1:]) + 1):.1f} weights={np.round(weights, 3).tolist()}")
