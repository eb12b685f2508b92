#!/usr/bin/python3
"""Train-step time of a CIFAR ResNeXt-29: Cardinal's compiled CPU trainer vs
PyTorch (Debian's 1.13, channels_last), side by side in one run.

    bench/train_step_vs_torch.py [--build build] [--model resnext29_4x16d]
        [--batch 32] [--steps 6] [--repeats 3] [--threads 1,2] [--unfused]

Both train the same architecture (conv bias-free, BN in training mode,
grouped 3x3 convs, SGD with momentum 0.9 and weight decay) on random 32x32
inputs. Runs are interleaved (Cardinal, PyTorch, Cardinal, ...) because
timing on small VMs drifts; the table reports medians and the ratio
PyTorch time / Cardinal time (> 1: Cardinal is faster). With --unfused a
second trainer built with --no-fuse (no --nn-fuse-conv-bn-relu) joins the
interleaving, with the ratio unfused time / fused time.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

from torch_resnext import ResNeXt29

WIDTHS = {"resnext29_4x16d": (4, 16), "resnext29_8x64d": (8, 64)}


def torch_step_seconds(model_name, batch, steps, threads):
    torch.set_num_threads(threads)
    C, d = WIDTHS[model_name]
    model = ResNeXt29(C, d).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                          weight_decay=1e-4)
    x = torch.randn(batch, 3, 32, 32).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def cardinal_step_seconds(trainer, batch, steps, threads):
    """Seconds per training step from `trainer bench` (5 warm-up steps, then
    `steps` timed ones on one random batch). Its "step time" has 1 us
    resolution; the train command's integer img/s rounds a 1.8 s step at
    batch 32 to 17 or 18 img/s, i.e. steps of 6%."""
    out = subprocess.run(
        [trainer, "bench", "--steps", str(steps), "--threads", str(threads),
         "--batch", str(batch)],
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"step time: ([0-9.]+) ms", out)
    if not m:
        sys.exit("cannot find the step time in the trainer's bench output:\n" + out)
    return float(m.group(1)) / 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--model", default="resnext29_4x16d", choices=WIDTHS)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--unfused", action="store_true",
                    help="also time a trainer built with --no-fuse")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="cardinal-bench-")
    trainer = os.path.join(work, "trainer")
    subprocess.run([os.path.join(a.build, "bin", "cardinal"), "build", a.model,
                    "--batch", str(a.batch), "-o", trainer], check=True)
    unfused = os.path.join(work, "trainer-unfused")
    if a.unfused:
        subprocess.run([os.path.join(a.build, "bin", "cardinal"), "build",
                        a.model, "--batch", str(a.batch), "--no-fuse", "-o",
                        unfused], check=True)
    print("%s, batch %d, 32x32, %d timed steps, median of %d interleaved runs"
          % (a.model, a.batch, a.steps, a.repeats))
    head = "%-8s %14s %14s %10s" % ("threads", "cardinal s/step", "torch s/step",
                                    "torch/card")
    if a.unfused:
        head += " %15s %14s" % ("unfused s/step", "unfused/fused")
    print(head)
    for threads in [int(t) for t in a.threads.split(",")]:
        ours, theirs, plain = [], [], []
        for _ in range(a.repeats):
            ours.append(cardinal_step_seconds(trainer, a.batch, a.steps, threads))
            if a.unfused:
                plain.append(cardinal_step_seconds(unfused, a.batch, a.steps,
                                                   threads))
            theirs.append(torch_step_seconds(a.model, a.batch, a.steps, threads))
        o, t = statistics.median(ours), statistics.median(theirs)
        line = "%-8d %14.3f %14.3f %10.2f" % (threads, o, t, t / o)
        if a.unfused:
            u = statistics.median(plain)
            line += " %15.3f %14.2f" % (u, u / o)
        print(line)


if __name__ == "__main__":
    main()
