import random
import statistics

random.seed(3)
returns = [random.gauss(0.0005, 0.01) for _ in range(250)]
mean = statistics.fmean(returns)
stdev = statistics.stdev(returns)
median = statistics.median(returns)
print(f"mean={mean:.5f} stdev={stdev:.5f} median={median:.5f} sharpe={mean / stdev * 252 ** 0.5:.2f}")
