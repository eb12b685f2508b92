#!/usr/bin/env python3
"""Compares two OUT files of tests/e2e/oracle_main.cpp: the same training
steps (same weights, batch and hyper-parameters) run by two builds of one
model, e.g. the CPU trainer and the CUDA one.

    compare_step.py EXPECTED.safetensors ACTUAL.safetensors [--tolerance T]

Per tensor, the error is max|a - e| / max|e| (relative to the tensor's
scale, so tiny entries of a large gradient do not dominate). Prints the
losses side by side, the worst error of each group (loss, step-1
gradients, later gradients, final tensors, predict logits) and the five
worst tensors; exits 1 if any error is above the tolerance or the files do
not hold the same tensors. Plain Python (no NumPy): the GPU machine's
interpreter may lack it.
"""
import argparse
import array
import json
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I32": "i", "I64": "q"}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        values = array.array(FORMATS[info["dtype"]])
        values.frombytes(body[begin:end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = values
    return tensors


def group(name):
    if name == "loss":
        return "loss"
    if name.startswith("grad."):
        return "gradients, step 1"
    if name.startswith("grad_step"):
        return "gradients, later steps"
    if name.startswith("final."):
        return "tensors after the steps"
    return name


def error(expected, actual):
    scale = max((abs(v) for v in expected), default=0.0)
    diff = max((abs(a - e) for a, e in zip(actual, expected)), default=0.0)
    if any(a != a for a in actual):  # NaN
        return float("inf")
    return diff / scale if scale > 0 else diff


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    a = ap.parse_args()
    want, got = read(a.expected), read(a.actual)
    if set(want) != set(got):
        print("different tensors: only in %s: %s; only in %s: %s" % (
            a.expected, sorted(set(want) - set(got))[:5], a.actual,
            sorted(set(got) - set(want))[:5]))
        return 1
    for name in want:
        if len(want[name]) != len(got[name]):
            print("%s: %d vs %d elements" % (name, len(want[name]),
                                             len(got[name])))
            return 1
    print("loss per step: expected %s, actual %s" % (
        " ".join("%.6f" % v for v in want["loss"]),
        " ".join("%.6f" % v for v in got["loss"])))
    errors = {name: error(want[name], got[name]) for name in want}
    worst = {}
    for name, e in errors.items():
        g = group(name)
        worst[g] = max(worst.get(g, 0.0), e)
    for g in sorted(worst):
        print("  %-26s max relative error %.3g" % (g, worst[g]))
    print("  worst tensors:")
    for name in sorted(errors, key=errors.get, reverse=True)[:5]:
        print("    %-50s %.3g" % (name, errors[name]))
    bad = [n for n, e in errors.items() if not e <= a.tolerance]
    if bad:
        print("FAIL: %d of %d tensors differ by more than %g" % (
            len(bad), len(errors), a.tolerance))
        return 1
    print("ok: all %d tensors within %g" % (len(errors), a.tolerance))
    return 0


if __name__ == "__main__":
    sys.exit(main())
