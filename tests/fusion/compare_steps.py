#!/usr/bin/env python3
"""compare_steps.py A.txt B.txt TOL: two step dumps (step_dump_main.cpp)
must hold the same tensors, each within TOL relative (max |a-b| over max |a|,
per tensor). Prints the worst tensor per kind and exits 1 on a mismatch."""
import sys


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            out[parts[0]] = [float(v) for v in parts[2:]]
    return out


def main():
    a, b, tol = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
    if a.keys() != b.keys():
        print("tensor names differ:", sorted(a.keys() ^ b.keys()))
        return 1
    worst = {}
    bad = []
    for name in sorted(a):
        x, y = a[name], b[name]
        ref = max((abs(v) for v in x), default=0.0)
        diff = max((abs(p - q) for p, q in zip(x, y)), default=0.0)
        rel = diff / ref if ref > 0 else diff
        kind = name.split(".")[0]
        if rel > worst.get(kind, (-1, ""))[0]:
            worst[kind] = (rel, name)
        if rel > tol:
            bad.append((rel, name))
    for kind, (rel, name) in sorted(worst.items()):
        print(f"{kind}: max rel {rel:.3g} ({name})")
    print(f"{len(a)} tensors compared, tolerance {tol:g}")
    if bad:
        for rel, name in sorted(bad, reverse=True)[:10]:
            print(f"MISMATCH {name}: {rel:.3g}")
        return 1
    print("step match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
