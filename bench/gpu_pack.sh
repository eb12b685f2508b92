#!/bin/bash
# bench/gpu_pack.sh [BUILD_DIR]  (run HERE, in the repo root, after a build)
#
# Prepares .gpu-pack/ (gitignored; the device tool carries it) for
# bench/gpu_check.sh on a GPU machine that has nvcc, cmake and python3+torch
# but no MLIR, no Debian packages and no network:
#   cu/       generated CUDA trainers: resnext_small digits-shaped (fp32,
#             bf16), ResNeXt-50 32x4d batch 32 224x224 bf16 and its
#             cuDNN-only plan (--cudnn-only)
#   lib/      the prebuilt CPU runtime archives a trainer links, the CUDA
#             kernel library built here (fallback) and the shared libraries
#             outside glibc/CUDA the trainer needs (from ldd, gzipped)
#   bin/      the small fp32 trainer and part A's cuda-kernels-gpu-test
#             linked here (fallbacks if building them there fails)
#   digits.csv.gz  the trainer's default data set
#   r50_train_bytes  bytes the ResNeXt-50 training step moves (traffic model)
#   step_in.safetensors, step_cpu.safetensors  3 training steps of the small
#             model on the CPU (input, result), for the GPU's to match
#   MANIFEST  what was packed, with sizes
set -euo pipefail
build=${1:-build-cudaemit}
pack=.gpu-pack
cardinal=$build/bin/cardinal
[ -x "$cardinal" ] || { echo "gpu_pack: no $cardinal (build first)"; exit 1; }
rm -rf "$pack"
mkdir -p "$pack/cu" "$pack/lib" "$pack/bin"

emit() { # name, build flags...
  local name=$1
  shift
  echo "gpu_pack: $name.cu"
  "$cardinal" build "$@" --target cuda --emit=cu -o "$pack/cu/$name.cu"
}
emit small_fp32 resnext_small --image 8 --channels 1 --batch 32 --precision fp32
emit small_bf16 resnext_small --image 8 --channels 1 --batch 32 --precision bf16
emit r50_bf16 resnext50_32x4d --batch 32 --precision bf16
emit r50_bf16_cudnn resnext50_32x4d --batch 32 --precision bf16 --cudnn-only

for a in TrainerMain Trainer RuntimeComm RuntimeData RuntimeCheckpoint \
         RuntimeKernels RuntimeCuda RuntimeNccl; do
  cp "$build/lib/libCardinal$a.a" "$pack/lib/"
done

# A trainer linked here: its shared libraries (less glibc, the C++ runtime
# and CUDA's, which the GPU machine has) travel with it.
"$cardinal" build resnext_small --image 8 --channels 1 --batch 32 \
  --target cuda --precision fp32 -o "$pack/bin/small_fp32" >/dev/null
ldd "$pack/bin/small_fp32" | awk '$3 ~ /^\// {print $3}' | while read -r so; do
  case "$(basename "$so")" in
    libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|\
    libstdc++.so*|libgcc_s.so*|libcudnn*|libcublas*|libcudart*|libnccl*)
      continue ;;
  esac
  cp -L "$so" "$pack/lib/"
done
strip --strip-unneeded "$pack/bin/small_fp32" 2>/dev/null || true
# Shared libraries travel gzipped (OpenBLAS alone is 36 MB of the 64 MB
# carry limit, 11 MB gzipped); gpu_check.sh unpacks them first.
gzip -9 "$pack"/lib/*.so*
# Part A's kernel tests, linked here (fallback if building them there fails).
gputest=$(find "$build" -name cuda-kernels-gpu-test -type f | head -n 1)
[ -n "$gputest" ] && cp "$gputest" "$pack/bin/" &&
  strip --strip-unneeded "$pack/bin/cuda-kernels-gpu-test" 2>/dev/null || true

# The ResNeXt-50 step's bytes by the plan's traffic model (`--emit=plan`,
# 4 bytes an element), for the report's bandwidth figure.
"$cardinal" build resnext50_32x4d --batch 32 --emit=plan -o "$pack/r50_plan.txt"
sed -n 's/^bytes moved per step ([^)]*): \([0-9]*\) .*/\1/p' "$pack/r50_plan.txt" |
  head -n 1 > "$pack/r50_train_bytes"
rm "$pack/r50_plan.txt"
[ -s "$pack/r50_train_bytes" ] || { echo "gpu_pack: no traffic figure in --emit=plan"; exit 1; }

# One training step of the small fp32/bf16 models as the CPU computes it:
# tests/e2e/oracle_main.cpp writes an input (weights initialized from a
# seed, a random batch) and runs 3 steps on it; the GPU check runs the same
# input through the CUDA builds and compares (bench/gpu/compare_step.py).
step=$(mktemp -d)
"$cardinal" build resnext_small --image 8 --channels 1 --batch 32 --emit=cpp \
  -o "$step/small.cpp"
"${CXX:-c++}" -std=c++17 -O2 -fopenmp -I. "$step/small.cpp" \
  tests/e2e/oracle_main.cpp "$build/lib/libCardinalTrainer.a" \
  "$build/lib/libCardinalRuntimeData.a" "$build/lib/libCardinalRuntimeCheckpoint.a" \
  "$build/lib/libCardinalRuntimeKernels.a" -lopenblas -lz -o "$step/oracle"
"$step/oracle" --write-input 7 "$pack/step_in.safetensors"
"$step/oracle" "$pack/step_in.safetensors" "$pack/step_cpu.safetensors" >/dev/null
rm -rf "$step"

# The bundled data set (Debian's python3-sklearn is not on the GPU machine).
cp /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz "$pack/"

(cd "$pack" && find . -type f -printf '%s\t%p\n' | sort -k2) > "$pack/MANIFEST"
total=$(du -sb "$pack" | cut -f1)
echo "gpu_pack: $pack is $((total / 1048576)) MiB ($total bytes; the carry limit is 64 MiB)"
[ "$total" -lt $((64 * 1048576)) ] || { echo "gpu_pack: too big to carry"; exit 1; }
