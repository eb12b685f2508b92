#!/usr/bin/python3
"""Issue #5's measurement table: Cardinal fused vs unfused (--no-fuse), with
PyTorch's best mode alongside, in one run.

    bench/fusion_table.py [--build build] [--threads 1,2] [--quick]
        [--repeats N] [--iters N] [--steps N]

Workloads: inference of ResNeXt-50 (32x4d) at 224x224, batch 1 and 8
(PyTorch: torch.jit.optimize_for_inference on a frozen traced eval model,
channels_last), and one training step of ResNeXt-29 (4x16d), 32x32, batch 32
(PyTorch: channels_last, SGD momentum + weight decay). Columns: bytes moved
per step from the kernel plan (codegen/PlanTraffic.h, printed by `cardinal
build --emit=plan`; not measured, and not available for PyTorch), wall time
per step (median over interleaved runs: fused, unfused, torch, fused, ...,
because timing on these shared 2-core VMs drifts), and the ratios
unfused/fused and torch/fused (> 1: fused Cardinal is faster).

Cardinal's inference is timed in-process by bench/predict_harness.cpp
(bench/inference_vs_torch.py builds it); its training step by the compiled
trainer's `bench` command (5 warm-up steps, then the timed ones, on one
random batch; bench/train_step_vs_torch.py).

Run time, measured on this project's 2-core VM with other jobs running:
--quick (2 repeats; 2 predicts / 3 training steps per run) 4.4 min at load
average 3-8 (builds 114 s, timing 151 s), 17.5 min at load 7-14 with -O2
harness builds; the default (3 repeats; 3 predicts / 6 steps) 6.3 min at
load 2-3 (builds 53 s, timing 327 s). Under such load the medians swing by 2x: read the load
line printed above the table.
"""
import argparse
import concurrent.futures
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inference_vs_torch import build_harness, harness_ms, torch_model, torch_ms  # noqa: E402
from train_step_vs_torch import cardinal_step_seconds, torch_step_seconds  # noqa: E402

INFER_MODEL = "resnext50_32x4d"
TRAIN_MODEL = "resnext29_4x16d"
TRAIN_BATCH = 32


def plan_bytes(cardinal, model, batch, image, fuse):
    """(train step bytes, predict bytes) from `--emit=plan`'s footers."""
    args = [cardinal, "build", model, "--batch", str(batch), "--emit=plan"]
    if image:
        args += ["--image", str(image)]
    if not fuse:
        args.append("--no-fuse")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    found = [int(v) for v in re.findall(r"bytes moved per step \(.*?\): (\d+)", out)]
    if len(found) != 2:
        sys.exit("cannot find the two traffic footers in --emit=plan's output")
    return found[0], found[1]


def build_trainer(cardinal, work, fuse):
    out = os.path.join(work, "trainer-" + ("fused" if fuse else "unfused"))
    args = [cardinal, "build", TRAIN_MODEL, "--batch", str(TRAIN_BATCH), "-o", out]
    if not fuse:
        args.append("--no-fuse")
    subprocess.run(args, check=True, capture_output=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--quick", action="store_true",
                    help="2 repeats, 2 predicts and 3 training steps per run")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--iters", type=int, help="predicts per inference run")
    ap.add_argument("--steps", type=int, help="training steps per run")
    a = ap.parse_args()
    repeats = a.repeats or (2 if a.quick else 3)
    iters = a.iters or (2 if a.quick else 3)
    steps = a.steps or (3 if a.quick else 6)
    threads = [int(t) for t in a.threads.split(",")]
    start = time.time()
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cardinal = os.path.join(a.build, "bin", "cardinal")
    work = tempfile.mkdtemp(prefix="cardinal-fusion-table-")
    load0 = os.getloadavg()[0]
    log("building 4 ResNeXt-50 harnesses and 2 ResNeXt-29 trainers in " + work)

    # Builds (two compilers at a time), and the plan figures.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        # -O1: the generated model is straight-line kernel calls (the
        # kernels are the -O3 library); it halves the 1.3 MB file's compile.
        harness = {(b, f): pool.submit(build_harness, cardinal, src, a.build,
                                       work, b, 224, f, "-O1")
                   for b in (1, 8) for f in (True, False)}
        trainer = {f: pool.submit(build_trainer, cardinal, work, f)
                   for f in (True, False)}
        harness = {k: v.result() for k, v in harness.items()}
        trainer = {k: v.result() for k, v in trainer.items()}
    workloads = []  # (label, {variant: f(threads) -> ms}, {variant: bytes})
    for batch in (1, 8):
        fb, ub = harness[(batch, True)], harness[(batch, False)]
        tm, tx = torch_model(batch, 224)
        workloads.append((
            "ResNeXt-50 32x4d inference, batch %d" % batch,
            {"fused": lambda th, b=fb: harness_ms(b, iters, th),
             "unfused": lambda th, b=ub: harness_ms(b, iters, th),
             "torch": lambda th, m=tm, x=tx: torch_ms(m, x, iters, th)},
            {"fused": plan_bytes(cardinal, INFER_MODEL, batch, 224, True)[1],
             "unfused": plan_bytes(cardinal, INFER_MODEL, batch, 224, False)[1]}))
    ft, ut = trainer[True], trainer[False]
    workloads.append((
        "ResNeXt-29 4x16d training step, batch %d" % TRAIN_BATCH,
        {"fused": lambda th: 1e3 * cardinal_step_seconds(ft, TRAIN_BATCH, steps, th),
         "unfused": lambda th: 1e3 * cardinal_step_seconds(ut, TRAIN_BATCH, steps, th),
         "torch": lambda th: 1e3 * torch_step_seconds(TRAIN_MODEL, TRAIN_BATCH, steps, th)},
        {"fused": plan_bytes(cardinal, TRAIN_MODEL, TRAIN_BATCH, None, True)[0],
         "unfused": plan_bytes(cardinal, TRAIN_MODEL, TRAIN_BATCH, None, False)[0]}))
    built = time.time()

    # Timing: every variant of a workload interleaved, repeat by repeat.
    rows = []
    log("built in %.0f s; timing" % (built - start))
    for label, timers, traffic in workloads:
        for th in threads:
            log("%s, %d thread(s)" % (label, th))
            runs = {v: [] for v in timers}
            for _ in range(repeats):
                for v, f in timers.items():
                    runs[v].append(f(th))
            rows.append((label, th, {v: statistics.median(r) for v, r in runs.items()},
                         traffic))
    end = time.time()

    print("Issue #5 fusion table: medians of %d interleaved runs (%d predicts / "
          "%d training steps per run); load average %.1f at start, %.1f at end"
          % (repeats, iters, steps, load0, os.getloadavg()[0]))
    print("torch = PyTorch %s: inference jit.optimize_for_inference + "
          "channels_last, training channels_last" % torch_version())
    head = "%-42s %3s %8s %8s %8s %9s %9s %8s %8s" % (
        "workload", "thr", "MiB fus", "MiB unf", "ms fused", "ms unfus",
        "ms torch", "unf/fus", "tch/fus")
    print(head)
    print("-" * len(head))
    for label, th, ms, traffic in rows:
        print("%-42s %3d %8.1f %8.1f %8.1f %9.1f %9.1f %8.2f %8.2f" % (
            label, th, traffic["fused"] / 2**20, traffic["unfused"] / 2**20,
            ms["fused"], ms["unfused"], ms["torch"], ms["unfused"] / ms["fused"],
            ms["torch"] / ms["fused"]))
    print("builds %.0f s, timing %.0f s" % (built - start, end - built))


def log(msg):
    print("[fusion_table %s] %s" % (time.strftime("%H:%M:%S"), msg),
          file=sys.stderr, flush=True)


def torch_version():
    import torch
    return torch.__version__


if __name__ == "__main__":
    main()
