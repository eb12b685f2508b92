#!/usr/bin/python3
"""Inference time of ResNeXt-50 (32x4d): Cardinal fused (--nn-fold-bn, the
default) vs unfused (--no-fuse) vs PyTorch (Debian's 1.13,
torch.jit.optimize_for_inference on a frozen eval model, channels_last).

    bench/inference_vs_torch.py [--build build] [--image 224] [--batches 1,8]
        [--iters 3] [--repeats 3] [--threads 1,2]

Cardinal's predict() is timed in-process by bench/predict_harness.cpp linked
against the generated model (no checkpoint I/O, no data loading). Runs are
interleaved (fused, unfused, torch, fused, ...) because timing on small VMs
drifts; the table reports medians of per-run means and the ratios. The
harness also checks that fused and unfused logits agree (max rel diff).
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import torch
from torch_resnext import ResNeXt50


def torch_model(batch, image):
    model = ResNeXt50().eval().to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, image, image).to(memory_format=torch.channels_last)
    with torch.no_grad():
        traced = torch.jit.trace(model, x)
        opt = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        opt(x)
        opt(x)
    return opt, x


def torch_ms(model, x, iters, threads):
    torch.set_num_threads(threads)
    with torch.no_grad():
        model(x)
        t0 = time.perf_counter()
        for _ in range(iters):
            model(x)
    return (time.perf_counter() - t0) / iters * 1e3


def harness_ms(binary, iters, threads, logits=None):
    cmd = [binary, str(threads), str(iters), "1"] + ([logits] if logits else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def build_harness(cardinal, src, build, work, batch, image, fuse, opt="-O2"):
    tag = "%s_b%d" % ("fused" if fuse else "unfused", batch)
    cpp = os.path.join(work, tag + ".cpp")
    args = [cardinal, "build", "resnext50_32x4d", "--batch", str(batch),
            "--image", str(image), "--emit=cpp", "-o", cpp]
    if not fuse:
        args.append("--no-fuse")
    subprocess.run(args, check=True)
    lib = os.path.join(build, "lib")
    binary = os.path.join(work, tag)
    subprocess.run(
        [os.environ.get("CXX", "g++"), "-std=c++17", opt, "-fopenmp",
         "-I" + src, cpp, os.path.join(src, "bench", "predict_harness.cpp"),
         lib + "/libCardinalTrainer.a", lib + "/libCardinalRuntimeComm.a",
         lib + "/libCardinalRuntimeData.a",
         lib + "/libCardinalRuntimeCheckpoint.a",
         lib + "/libCardinalRuntimeKernels.a", "-lopenblas", "-lz", "-ljpeg",
         "-lmpi", "-o", binary], check=True)
    return binary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--image", type=int, default=224)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cardinal = os.path.join(a.build, "bin", "cardinal")
    work = tempfile.mkdtemp(prefix="cardinal-infer-")

    rows = []
    for batch in [int(b) for b in a.batches.split(",")]:
        fused = build_harness(cardinal, src, a.build, work, batch, a.image, True)
        unfused = build_harness(cardinal, src, a.build, work, batch, a.image, False)
        lf, lu = os.path.join(work, "lf.bin"), os.path.join(work, "lu.bin")
        harness_ms(fused, 1, 2, lf)
        harness_ms(unfused, 1, 2, lu)
        yf, yu = np.fromfile(lf, np.float32), np.fromfile(lu, np.float32)
        rel = float(np.max(np.abs(yf - yu)) / max(np.max(np.abs(yu)), 1e-30))
        tm, tx = torch_model(batch, a.image)
        for threads in [int(t) for t in a.threads.split(",")]:
            f, u, t = [], [], []
            for _ in range(a.repeats):
                f.append(harness_ms(fused, a.iters, threads))
                u.append(harness_ms(unfused, a.iters, threads))
                t.append(torch_ms(tm, tx, a.iters, threads))
            rows.append((batch, threads, statistics.median(f),
                         statistics.median(u), statistics.median(t), rel))
    print("ResNeXt-50 32x4d inference, %dx%d, %d predicts per run, median of "
          "%d interleaved runs (ms per batch)" % (a.image, a.image, a.iters,
                                                 a.repeats))
    print("%-6s %-8s %10s %10s %10s %12s %12s %14s" % (
        "batch", "threads", "fused", "unfused", "torch", "unfused/fused",
        "torch/fused", "logits rel diff"))
    for b, th, f, u, t, rel in rows:
        print("%-6d %-8d %10.1f %10.1f %10.1f %12.2f %12.2f %14.1e" % (
            b, th, f, u, t, u / f, t / f, rel))


if __name__ == "__main__":
    main()
