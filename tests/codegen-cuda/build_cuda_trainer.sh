#!/bin/bash
# build_cuda_trainer.sh CARDINAL WORKDIR MODEL [build flags...]
#
# Builds a CUDA trainer (nvcc compile + link), fails on any nvcc warning or
# a fusion fallback note,
# then checks the trainer without a GPU: `info` prints the model; `train`
# exits 1 naming the missing device and `--target cpu` (on a machine with a
# GPU, `train` must instead succeed for one short epoch).
set -u
cardinal=$1 dir=$2
shift 2
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "FAIL: $*"; exit 1; }

start=$(date +%s)
if ! "$cardinal" build "$@" -o "$dir/trainer" >"$dir/build.out" 2>"$dir/build.err"; then
  cat "$dir/build.out" "$dir/build.err"
  fail "cardinal build $* failed"
fi
cat "$dir/build.out"
echo "nvcc build: $(($(date +%s) - start)) s"
# runtime/cuda has a kernel for every fused op: the step keeps the training
# fusion (no fallback note).
if grep -q "note: --target cuda" "$dir/build.err"; then
  cat "$dir/build.err"
  fail "the CUDA build fell back from the training fusion"
fi
if grep -qi "warning" "$dir/build.err"; then
  cat "$dir/build.err"
  fail "nvcc warned on the generated .cu"
fi

"$dir/trainer" info >"$dir/info.out" 2>&1 || { cat "$dir/info.out"; fail "trainer info"; }
grep -q "^model: " "$dir/info.out" || fail "trainer info printed no model"

"$dir/trainer" train --epochs 1 --data synthetic:64 --quiet \
  --checkpoint-dir "$dir/ckpt" >"$dir/train.out" 2>&1
rc=$?
cat "$dir/train.out"
if nvidia-smi -L >/dev/null 2>&1; then
  [ $rc -eq 0 ] || fail "train on a GPU machine exited $rc"
else
  [ $rc -eq 1 ] || fail "train without a GPU exited $rc, not 1"
  grep -q "no usable CUDA device" "$dir/train.out" || fail "no missing-device message"
  grep -q -- "--target cpu" "$dir/train.out" || fail "no --target cpu alternative"
fi
echo "PASS"
