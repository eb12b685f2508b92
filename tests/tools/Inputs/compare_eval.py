"""Compares two `trainer eval` outputs: identical top-1/top-5 error lines and
test losses within a relative tolerance (plus the 1e-6 print resolution)."""
import re
import sys

def parse(path):
    out = {}
    for line in open(path):
        m = re.match(r"test (top-1 error|top-5 error|loss|samples): ([0-9.]+)", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out

a, b, tol = parse(sys.argv[1]), parse(sys.argv[2]), float(sys.argv[3])
assert set(a) == set(b) == {"top-1 error", "top-5 error", "loss", "samples"}, (a, b)
for k in ("samples", "top-1 error", "top-5 error"):
    assert a[k] == b[k], (k, a[k], b[k])
diff = abs(a["loss"] - b["loss"])
assert diff <= tol * abs(b["loss"]) + 1e-6, ("loss", a["loss"], b["loss"])
print("eval match: %d samples, top-1 %.2f%%, loss %.6f vs %.6f (|diff| %.1e)"
      % (a["samples"], a["top-1 error"], a["loss"], b["loss"], diff))
