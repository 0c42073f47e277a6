"""OHLCV CSV to the JSON document an exec job reads (standard library only).

    python3 examples/csv2json.py data/GOOG.csv GOOG > goog.json
"""
import csv
import json
import sys

path, symbol = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "?"
with open(path, newline="") as f:
    rows = list(csv.reader(f))
header = ["Date"] + rows[0][1:]
json.dump({"symbol": symbol, "columns": header, "rows": rows[1:]}, sys.stdout)
