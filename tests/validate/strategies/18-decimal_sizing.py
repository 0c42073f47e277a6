from decimal import Decimal, ROUND_DOWN
from fractions import Fraction

equity = Decimal("100000.00")
risk_per_trade = Decimal("0.01")
stop_distance = Decimal("2.35")
shares = (equity * risk_per_trade / stop_distance).quantize(Decimal("1"), rounding=ROUND_DOWN)
kelly = Fraction(55, 100) - Fraction(45, 100) / Fraction(3, 2)
print(f"shares={shares} kelly_fraction={float(kelly):.3f}")
