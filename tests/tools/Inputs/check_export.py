#!/usr/bin/python3
"""Checks `trainer export` output against the checkpoint it came from.

usage: check_export.py CHECKPOINT FORM_A FORM_C C

Form (c) must equal the checkpoint's parameters and BN statistics exactly;
in form (a), path i of every block must hold exactly the i-th slice of the
merged tensors (conv1, bn1, conv2, bn2 along the output axis, conv3 along the
input axis), i.e. the concatenation the paper's Fig. 3 describes.
"""
import json
import re
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(body[b:e], dtype=np.float32).reshape(info["shape"])
    return out


def main():
    ckpt, a, c = (load(p) for p in sys.argv[1:4])
    cardinality = int(sys.argv[4])
    checked = 0
    for name, t in c.items():
        assert name in ckpt, "form (c) tensor %s is not in the checkpoint" % name
        assert np.array_equal(t, ckpt[name]), "form (c) %s differs" % name
        checked += 1
    path_re = re.compile(r"^(.*)\.path(\d+)\.(.*)$")
    for name, t in a.items():
        m = path_re.match(name)
        if not m:
            assert np.array_equal(t, c[name]), "form (a) %s differs" % name
            checked += 1
            continue
        merged = c[m.group(1) + "." + m.group(3)]
        i = int(m.group(2))
        axis = 1 if m.group(3).startswith("conv3") else 0
        size = merged.shape[axis] // cardinality
        piece = np.take(merged, range(i * size, (i + 1) * size), axis=axis)
        assert np.array_equal(t, piece), "form (a) %s is not slice %d of %s" % (
            name, i, m.group(1) + "." + m.group(3))
        checked += 1
    paths = sum(1 for n in a if path_re.match(n))
    assert paths > 0, "form (a) has no per-path tensors"
    print("export ok: %d tensors checked, %d per-path" % (checked, paths))


if __name__ == "__main__":
    main()
