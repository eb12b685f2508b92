#!/usr/bin/env python3
"""PyTorch oracle for a Cardinal-generated trainer (llm.c-style).

Builds the same network as the zoo model in PyTorch (functional ops over a
dict of tensors named exactly as Cardinal names them, grouped convolutions
with groups=C), initializes every tensor randomly from a fixed seed, writes
them and one random batch for the harness (tests/e2e/oracle_main.cpp linked
with the `cardinal build --emit=cpp` file), runs it, and compares:

  loss      the loss of step 1, and of steps 2..N
  grad      every parameter gradient of step 1 (before the update), and
            of steps 2..N (says which step first goes wrong)
  param     every parameter after N steps
  state     every BN running statistic after N steps
  velocity  every momentum buffer after N steps
  predict   predict() logits (BN with running statistics) after N steps

The seed is checked first, from PyTorch alone: every ReLU input of the
run (float64) must be at least --min-kink-margin times its float32 error
away from 0, else a float32 rounding decides whether that element passes
and steps 2..N legitimately differ by more than 1e-4 (seen at wd 1e-4: seeds 6, 29);
an ill-conditioned seed is replaced by the next one, and said so.

Relative error of a tensor, Cardinal's a against PyTorch's float32 b:
    max|a - b| / max(max|b|, 1e-6)
(for a scalar loss: |a - b| / max(|b|, 1e-6)). Every tensor must be within
--tol (default 1e-4). The table also shows the same measure between PyTorch
float32 and PyTorch float64 runs from the same start (the float32 noise
floor), for judging a failure.

Exit: 0 pass, 1 mismatch, 2 harness or usage error, 77 PyTorch is missing
(ctest's SKIP_RETURN_CODE).

PyTorch is a test-only oracle: nothing Cardinal builds depends on it.
"""

import argparse
import json
import os
import struct
import subprocess
import sys

SKIP = 77

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIP: e2e.torch_oracle needs PyTorch and NumPy ({e}); "
          f"run it with Debian's /usr/bin/python3 (python3-torch)")
    sys.exit(SKIP)


# ---------------------------------------------------------------------------
# The zoo's ResNeXt specs (models/Zoo.cpp, models/ResNeXt.cpp), as data.

SPECS = {
    # cifarSmall(): CIFAR layout, one block per stage.
    "resnext_small": dict(cifar=True, blocks=[1, 1, 1], cardinality=4,
                          bottleneck_width=4, stem_width=16,
                          first_stage_width=32),
}

EPS = 1e-5          # nn.batch_norm default (the emitted calls use 1e-05f)
BN_MOMENTUM = 0.1   # running-statistics momentum, as PyTorch


# ---------------------------------------------------------------------------
# safetensors, enough for the harness (runtime/checkpoint/SafeTensors.h).

_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32,
           "I64": np.int64}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dt = np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(e["shape"])
    return out


# ---------------------------------------------------------------------------
# The network, functional, over name -> tensor dicts.

class Net:
    """ResNeXt in form (c): 1x1 conv w->C*d, BN, ReLU, grouped 3x3 conv
    (groups=C), BN, ReLU, 1x1 conv C*d->w, BN; y = relu(BN(...) + shortcut).

    A forward() with `rng` set creates each missing tensor (in graph order)
    from it, named as Cardinal's DSL names it; without `rng` every tensor
    must already be in `params` / `state`."""

    def __init__(self, spec, classes):
        self.spec, self.classes = spec, classes
        self.params, self.state = {}, {}   # name -> tensor
        self.order = []                    # (name, kind) in creation order
        self.initial = {}                  # name -> value at creation
        self.rng = None
        self.training = True
        self.relu_inputs = None            # list: record every ReLU input

    # -- tensor creation ----------------------------------------------------
    def _new(self, name, kind, value):
        value = np.asarray(value, dtype=np.float32)
        self.initial[name] = value.copy()
        t = torch.from_numpy(value)
        (self.params if kind == "param" else self.state)[name] = t
        self.order.append((name, kind))
        return t

    def _param(self, name, shape, init, fan_in=None):
        if name not in self.params:
            if self.rng is None:
                raise KeyError(f"no tensor {name}")
            r = self.rng
            if init == "he_normal":
                fan_in = int(np.prod(shape[1:]))
                v = r.standard_normal(shape) * np.sqrt(2.0 / fan_in)
            elif init == "linear_uniform":
                bound = 1.0 / np.sqrt(fan_in)
                v = r.uniform(-bound, bound, shape)
            elif init == "scale":
                v = r.uniform(0.5, 1.5, shape)
            elif init == "shift":
                v = r.standard_normal(shape) * 0.2
            else:
                raise ValueError(init)
            self._new(name, "param", v)
        return self.params[name]

    def _state(self, name, shape, init):
        if name not in self.state:
            if self.rng is None:
                raise KeyError(f"no tensor {name}")
            r = self.rng
            v = (r.standard_normal(shape) * 0.2 if init == "mean"
                 else r.uniform(0.5, 1.5, shape))
            self._new(name, "state", v)
        return self.state[name]

    # -- layers ------------------------------------------------------------
    def relu(self, x, name):
        if self.relu_inputs is not None:
            self.relu_inputs.append((name,
                                     x.detach().double().numpy().copy()))
        return F.relu(x)

    def conv(self, name, x, out, k, stride=1, groups=1, pad=None):
        cin = x.shape[1]
        w = self._param(name + ".weight", (out, cin // groups, k, k),
                        "he_normal")
        return F.conv2d(x, w, None, stride, k // 2 if pad is None else pad, 1,
                        groups)

    def bn(self, name, x):
        c = x.shape[1]
        scale = self._param(name + ".scale", (c,), "scale")
        shift = self._param(name + ".shift", (c,), "shift")
        rm = self._state(name + ".running_mean", (c,), "mean")
        rv = self._state(name + ".running_var", (c,), "var")
        return F.batch_norm(x, rm, rv, scale, shift, training=self.training,
                            momentum=BN_MOMENTUM, eps=EPS)

    def linear(self, name, x, out):
        fan_in = x.shape[1]
        w = self._param(name + ".weight", (out, fan_in), "linear_uniform",
                        fan_in)
        b = self._param(name + ".bias", (out,), "linear_uniform", fan_in)
        return F.linear(x, w, b)

    def block(self, p, x, C, d, width, stride):
        t = self.relu(self.bn(p + "bn1", self.conv(p + "conv1", x, C * d, 1)),
                      p + "bn1")
        t = self.relu(self.bn(p + "bn2", self.conv(p + "conv2", t, C * d, 3,
                                                   stride, groups=C)),
                      p + "bn2")
        t = self.bn(p + "bn3", self.conv(p + "conv3", t, width, 1))
        s = x
        if stride != 1 or x.shape[1] != width:
            s = self.bn(p + "shortcut.bn",
                        self.conv(p + "shortcut.conv", x, width, 1, stride,
                                  pad=0))
        return self.relu(t + s, p + "add")

    def forward(self, x):
        s = self.spec
        if s["cifar"]:
            x = self.conv("stem.conv", x, s["stem_width"], 3)
        else:
            x = self.conv("stem.conv", x, s["stem_width"], 7, 2)
        x = self.relu(self.bn("stem.bn", x), "stem.bn")
        if not s["cifar"]:
            x = F.max_pool2d(x, 3, 2, 1)
        width, d = s["first_stage_width"], s["bottleneck_width"]
        for stage, n in enumerate(s["blocks"]):
            for b in range(n):
                stride = 2 if (b == 0 and stage > 0) else 1
                x = self.block(f"stage{stage + 2}.block{b}.", x,
                               s["cardinality"], d, width, stride)
            width, d = width * 2, d * 2
        x = x.mean(dim=(2, 3))
        return self.linear("head.fc", x, self.classes)


def is_bn_param(name):
    return name.endswith(".scale") or name.endswith(".shift")


def train(init, images, labels, args, spec, dtype):
    """Runs args.steps SGD steps in PyTorch from `init` (name -> ndarray).
    Returns (dict: loss [steps], grad.<p>, grad_step<k>.<p>, final.<t>,
    predict.logits; the inputs of every ReLU evaluated, in order)."""
    net = Net(spec, args.classes)
    net.relu_inputs = []
    names = [n for n in init if not n.endswith(".velocity")]
    for n in names:
        t = torch.from_numpy(init[n].astype(np.float64)).to(dtype)
        if n.endswith(".running_mean") or n.endswith(".running_var"):
            net.state[n] = t
        else:
            net.params[n] = t.requires_grad_(True)
    x = torch.from_numpy(images.astype(np.float64)).to(dtype)
    y = torch.from_numpy(labels.astype(np.int64))

    decay = [p for n, p in net.params.items()
             if not (args.no_bn_decay and is_bn_param(n))]
    no_decay = [p for n, p in net.params.items()
                if args.no_bn_decay and is_bn_param(n)]
    groups = [{"params": decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    opt = torch.optim.SGD(groups, lr=args.lr, momentum=args.momentum,
                          weight_decay=args.wd)
    for n, p in net.params.items():
        v = init[n + ".velocity"].astype(np.float64)
        opt.state[p]["momentum_buffer"] = torch.from_numpy(v).to(dtype)

    out = {}
    losses = []
    for step in range(args.steps):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net.forward(x), y)
        loss.backward()
        losses.append(loss.item())
        prefix = "grad." if step == 0 else f"grad_step{step + 1}."
        for n, p in net.params.items():
            out[prefix + n] = p.grad.detach().double().numpy().copy()
        opt.step()
    out["loss"] = np.array(losses)
    with torch.no_grad():
        for n, p in net.params.items():
            out["final." + n] = p.detach().double().numpy().copy()
            out["final." + n + ".velocity"] = (
                opt.state[p]["momentum_buffer"].double().numpy().copy())
        for n, t in net.state.items():
            out["final." + n] = t.double().numpy().copy()
        net.training = False
        out["predict.logits"] = net.forward(x).double().numpy().copy()
    return out, net.relu_inputs


def kink_margin(relus32, relus64):
    """How far the ReLU input closest to its kink is from 0, in units of
    its own float32 error: min over every ReLU input element (all steps and
    the final predict) of |x64| / |x32 - x64|. Below a few units, whether
    that element passes is decided by rounding; a flip there changes the
    later steps by far more than 1e-4, in Cardinal and PyTorch float32
    alike. Returns (margin, ReLU index)."""
    best, where = float("inf"), -1
    for i, ((_, a), (_, b)) in enumerate(zip(relus32, relus64)):
        noise = np.abs(a - b)
        with np.errstate(divide="ignore"):
            r = np.where(noise > 0, np.abs(b) / np.maximum(noise, 1e-300),
                         np.inf)
        m = float(r.min())
        if m < best:
            best, where = m, i
    return best, where


def make_inputs(args, spec):
    rng = np.random.RandomState(args.seed)
    images = rng.standard_normal(
        (args.batch, args.channels, args.image, args.image)).astype(np.float32)
    labels = rng.randint(0, args.classes, size=args.batch).astype(np.int32)
    net = Net(spec, args.classes)
    net.rng = rng
    with torch.no_grad():
        net.forward(torch.from_numpy(images))   # creates every tensor
    # The values as drawn (the creating forward ran BN in training mode and
    # moved the running statistics in place).
    init = {name: net.initial[name] for name, _ in net.order}
    for name, kind in net.order:
        if kind == "param":
            v = np.zeros_like(init[name]) if args.zero_velocity else (
                rng.standard_normal(init[name].shape) * 0.01)
            init[name + ".velocity"] = v.astype(np.float32)
    return images, labels, init


def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    denom = max(float(np.abs(b).max()) if b.size else 0.0, 1e-6)
    return float(np.abs(a - b).max()) / denom if b.size else 0.0


def category(key):
    if key.startswith("grad."):
        return "grad"
    if key.startswith("grad_step"):
        return "grad_later"
    if key.startswith("predict."):
        return "predict"
    if key.endswith(".velocity"):
        return "velocity"
    if key.endswith(".running_mean") or key.endswith(".running_var"):
        return "state"
    return "param"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--harness", required=True,
                    help="oracle_main linked with the emitted model")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--model", default="resnext_small", choices=sorted(SPECS))
    ap.add_argument("--image", type=int, default=8)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--no-bn-decay", action="store_true",
                    help="the model was built with --no-bn-decay")
    ap.add_argument("--zero-velocity", action="store_true",
                    help="start from zero momentum buffers (default: random)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--seed-tries", type=int, default=10,
                    help="seeds to try for a well-conditioned case")
    ap.add_argument("--min-kink-margin", type=float, default=10.0,
                    help="the closest ReLU input must be this many times "
                         "its float32 error away from 0 (0: accept any)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quiet", action="store_true",
                    help="print only the per-category summary and failures")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = SPECS[args.model]

    print(f"torch oracle: {args.model} batch {args.batch}x{args.channels}x"
          f"{args.image}x{args.image}, {args.classes} classes; {args.steps} "
          f"SGD steps lr {args.lr:g} momentum {args.momentum:g} wd {args.wd:g}"
          f"{' (not on BN)' if args.no_bn_decay else ''}; seed {args.seed}; "
          f"torch {torch.__version__}")
    # A seed whose PyTorch run has every ReLU input well clear of its kink
    # (see kink_margin); decided from PyTorch alone, before Cardinal runs.
    first_seed, tried = args.seed, []
    for attempt in range(args.seed_tries):
        args.seed = first_seed + attempt
        images, labels, init = make_inputs(args, spec)
        ref32, relus32 = train(init, images, labels, args, spec, torch.float32)
        ref64, relus64 = train(init, images, labels, args, spec, torch.float64)
        margin, where = kink_margin(relus32, relus64)
        tried.append((margin, args.seed))
        if margin >= args.min_kink_margin:
            break
        per = len(relus64) // (args.steps + 1)   # ReLUs per forward
        when = (f"step {where // per + 1}" if where // per < args.steps
                else "predict")
        print(f"seed {args.seed}: an input of the ReLU after "
              f"{relus64[where][0]} ({when}) is only {margin:.2g}x its "
              f"float32 error away from 0: ill-conditioned, trying seed "
              f"{args.seed + 1}")
    else:
        margin, args.seed = max(tried)
        print(f"warning: no seed in [{first_seed}, {first_seed + args.seed_tries})"
              f" has a kink margin >= {args.min_kink_margin:g}; using seed "
              f"{args.seed} (margin {margin:.2g})")
        images, labels, init = make_inputs(args, spec)
        ref32, _ = train(init, images, labels, args, spec, torch.float32)
        ref64, _ = train(init, images, labels, args, spec, torch.float64)
    inp = os.path.join(args.workdir, "oracle_in.safetensors")
    outp = os.path.join(args.workdir, "oracle_out.safetensors")
    tensors = dict(init)
    tensors["input.images"] = images
    tensors["input.labels"] = labels
    write_safetensors(inp, tensors, {"lr": repr(args.lr),
                                     "momentum": repr(args.momentum),
                                     "weight_decay": repr(args.wd),
                                     "steps": args.steps})

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(args.threads))
    proc = subprocess.run([args.harness, inp, outp], env=env,
                          capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"FAIL: the harness exited with {proc.returncode}")
        return 2
    got = read_safetensors(outp)


    # What must be there: the loss, a gradient per parameter, every tensor.
    params = [n for n in init if not n.endswith(".velocity")
              and not n.endswith(".running_mean")
              and not n.endswith(".running_var")]
    expected = (["loss"] + ["grad." + n for n in params]
                + [f"grad_step{s}.{n}" for s in range(2, args.steps + 1)
                   for n in params]
                + ["final." + n for n in init] + ["predict.logits"])
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing or extra:
        for k in missing:
            print(f"FAIL: the harness did not produce {k}")
        for k in extra:
            print(f"FAIL: the harness produced {k}, which PyTorch has no "
                  f"counterpart for")
        return 1

    rows = []   # (category, name, err vs f32, f32 vs f64)
    loss = got["loss"]
    for i in range(args.steps):
        rows.append(("loss", f"loss step {i + 1}",
                     rel_err(loss[i], ref32["loss"][i]),
                     rel_err(ref32["loss"][i], ref64["loss"][i])))
    for k in expected[1:]:
        rows.append((category(k), k, rel_err(got[k], ref32[k]),
                     rel_err(ref32[k], ref64[k])))

    failed = [r for r in rows if not r[2] <= args.tol]
    width = max(len(r[1]) for r in rows)
    if not args.quiet:
        print(f"\n{'tensor':<{width}}  {'rel err':>10}  {'f32 vs f64':>10}")
        for cat, name, err, floor in rows:
            mark = "" if err <= args.tol else "   <-- FAIL"
            print(f"{name:<{width}}  {err:10.3e}  {floor:10.3e}{mark}")
    print(f"\nseed {args.seed}; the ReLU input closest to its kink is "
          f"{margin:.3g}x its float32 error away from 0")
    print(f"relative error = max|cardinal - torch32| / "
          f"max(max|torch32|, 1e-6), per tensor; tolerance {args.tol:g}")
    print(f"losses: cardinal {', '.join(f'{v:.7f}' for v in loss)}; "
          f"torch {', '.join(f'{v:.7f}' for v in ref32['loss'])}")
    print(f"{'category':<24} {'tensors':>7} {'max rel err':>12}  "
          f"{'worst tensor':<{width}}  {'max f32 vs f64':>14}")
    cats = [("loss step 1", lambda r: r[1] == "loss step 1"),
            (f"loss steps 2-{args.steps}",
             lambda r: r[0] == "loss" and r[1] != "loss step 1"),
            ("grad (step 1)", lambda r: r[0] == "grad"),
            (f"grad (steps 2-{args.steps})", lambda r: r[0] == "grad_later"),
            (f"param (after {args.steps})", lambda r: r[0] == "param"),
            (f"running stats (after {args.steps})", lambda r: r[0] == "state"),
            (f"velocity (after {args.steps})", lambda r: r[0] == "velocity"),
            ("predict logits", lambda r: r[0] == "predict")]
    for label, pick in cats:
        sel = [r for r in rows if pick(r)]
        if not sel:
            continue
        worst = max(sel, key=lambda r: r[2])
        floor = max(r[3] for r in sel)
        print(f"{label:<24} {len(sel):>7} {worst[2]:12.3e}  "
              f"{worst[1]:<{width}}  {floor:14.3e}")
    if failed:
        print(f"\nFAIL: {len(failed)} of {len(rows)} tensors exceed {args.tol:g}:")
        for cat, name, err, floor in failed:
            print(f"  {name}: {err:.3e} (torch f32 vs f64: {floor:.3e})")
        return 1
    print(f"\nPASS: {len(rows)} tensors within {args.tol:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
