import numpy as np

rng = np.random.default_rng(42)
prices = 100 + np.cumsum(rng.normal(0, 1, 1000))
returns = np.diff(np.log(prices))
sharpe = returns.mean() / returns.std() * np.sqrt(252)
drawdown = prices / np.maximum.accumulate(prices) - 1
X = np.column_stack([np.ones(len(returns) - 1), returns[:-1]])
beta, *_ = np.linalg.lstsq(X, returns[1:], rcond=None)
print(f"sharpe={sharpe:.3f} max_dd={drawdown.min():.3f} ar1={beta[1]:.4f}")
