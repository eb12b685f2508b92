"""Compares the `test accuracy: X%` lines of two `trainer train` outputs:
both present and within a tolerance in percentage points."""
import re
import sys

def accuracy(path):
    found = [float(m.group(1)) for line in open(path)
             for m in [re.search(r"test accuracy: ([0-9.]+)%", line)] if m]
    assert found, "no 'test accuracy' line in " + path
    return found[-1]

a, b, tol = accuracy(sys.argv[1]), accuracy(sys.argv[2]), float(sys.argv[3])
assert abs(a - b) <= tol, ("accuracy differs", a, b)
print("accuracy match: %.2f%% vs %.2f%% (|diff| %.2f <= %.2f points)"
      % (a, b, abs(a - b), tol))
