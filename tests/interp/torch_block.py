#!/usr/bin/python3
"""A ResNeXt block (BN in training mode) in PyTorch, float64, in form (a),
(b) or (c) of the paper's Fig. 3, written independently of Cardinal.

Usage: torch_block.py TENSORS OUT C STRIDE [FORM]   (FORM: a, b or c; c)

TENSORS holds named tensors as text, one per pair of lines:
    <name> <rank> <dim0> ... <dimN-1>
    <value> <value> ...          (row-major, %.17g)
The block is the one tests/interp/BlockForms.h builds in scope "blk" with
input "x". (c): 1x1 conv, BN, ReLU, grouped 3x3 conv (groups = C, stride),
BN, ReLU, 1x1 conv, BN, + shortcut (1x1 conv stride + BN when present, else
identity), ReLU. (a): C paths blk.path<i>.{conv1,bn1,conv2,bn2,conv3},
summed, then BN3. (b): the paths up to bn2/ReLU, concatenated, one conv3. The output tensor is written to OUT in the
same format under the name "y".
"""
import sys

import torch
import torch.nn.functional as F


def read_tensors(path):
    tensors = {}
    with open(path) as f:
        lines = f.read().splitlines()
    for header, values in zip(lines[0::2], lines[1::2]):
        fields = header.split()
        name, rank = fields[0], int(fields[1])
        shape = [int(d) for d in fields[2:2 + rank]]
        data = [float(v) for v in values.split()]
        tensors[name] = torch.tensor(data, dtype=torch.float64).reshape(shape)
    return tensors


def bn_train(t, p, name):
    # Training mode: batch statistics; running buffers are copies, so the
    # caller's tensors are untouched (the interpreter does not update them).
    return F.batch_norm(t, p[name + ".running_mean"].clone(),
                        p[name + ".running_var"].clone(),
                        p[name + ".scale"], p[name + ".shift"],
                        training=True, momentum=0.1, eps=1e-5)


def path_front(p, x, i, stride):
    s = "blk.path%d." % i
    t = F.relu(bn_train(F.conv2d(x, p[s + "conv1.weight"]), p, s + "bn1"))
    return F.relu(bn_train(F.conv2d(t, p[s + "conv2.weight"], stride=stride,
                                    padding=1), p, s + "bn2"))


def aggregated(p, x, C, stride, form):
    if form == "a":
        return sum(F.conv2d(path_front(p, x, i, stride),
                            p["blk.path%d.conv3.weight" % i]) for i in range(C))
    if form == "b":
        fronts = [path_front(p, x, i, stride) for i in range(C)]
        return F.conv2d(torch.cat(fronts, dim=1), p["blk.conv3.weight"])
    t = F.relu(bn_train(F.conv2d(x, p["blk.conv1.weight"]), p, "blk.bn1"))
    t = F.relu(bn_train(F.conv2d(t, p["blk.conv2.weight"], stride=stride,
                                 padding=1, groups=C), p, "blk.bn2"))
    return F.conv2d(t, p["blk.conv3.weight"])


def block(p, C, stride, form):
    x = p["x"]
    t = bn_train(aggregated(p, x, C, stride, form), p, "blk.bn3")
    if "blk.shortcut.conv.weight" in p:
        s = bn_train(F.conv2d(x, p["blk.shortcut.conv.weight"], stride=stride),
                     p, "blk.shortcut.bn")
    else:
        s = x
    return F.relu(t + s)


def main():
    tensors_path, out_path, C, stride = sys.argv[1:5]
    form = sys.argv[5] if len(sys.argv) > 5 else "c"
    y = block(read_tensors(tensors_path), int(C), int(stride), form)
    with open(out_path, "w") as f:
        f.write("y %d %s\n" % (y.dim(), " ".join(str(d) for d in y.shape)))
        f.write(" ".join("%.17g" % v for v in y.flatten().tolist()) + "\n")


if __name__ == "__main__":
    main()
