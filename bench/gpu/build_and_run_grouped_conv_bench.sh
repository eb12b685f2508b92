#!/usr/bin/env bash
# Builds and runs bench/gpu/grouped_conv_bench.cu with nvcc alone (no CMake,
# no MLIR, no apt): Cardinal's generated grouped 3x3 kernels vs cuDNN on the
# ResNeXt-50 32x4d layers, fp32 and bf16, forward and both backward passes.
#
#   bench/gpu/build_and_run_grouped_conv_bench.sh [outdir]
# or, from another script (bench/gpu_check.sh):
#   source bench/gpu/build_and_run_grouped_conv_bench.sh
#   build_grouped_conv_bench "$outdir" && run_grouped_conv_bench "$outdir"
#
# cuDNN is looked for under the CUDA toolkit first, then in Python's
# nvidia-cudnn wheel (nvidia.cudnn: include/ and lib/ with libcudnn.so.9);
# cuBLAS likewise (nvidia.cublas). NVCC, CUDA_HOME, CUDNN_HOME and
# CUDA_ARCH (default 90) override the defaults.

_gcb_repo_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd
}

# Prints the directory of a Python wheel package (nvidia.cudnn ...), if any.
_gcb_wheel_dir() {
  local py
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" -c "import $1, os; print(os.path.dirname($1.__file__))" \
      2>/dev/null && return 0
  done
  return 1
}

# Sets <prefix>_INC / <prefix>_LIB / <prefix>_LINK for library $2 (header $3).
_gcb_locate() {
  local var=$1 lib=$2 header=$3 wheel=$4 dir d
  for dir in ${CUDNN_HOME:+"$CUDNN_HOME"} "$CUDA_HOME" /usr/local/cuda /usr; do
    [ -f "$dir/include/$header" ] || continue
    for d in "$dir/lib64" "$dir/lib" "$dir/lib/x86_64-linux-gnu"; do
      if [ -e "$d/lib$lib.so" ]; then
        eval "${var}_INC=\$dir/include ${var}_LIB=\$d ${var}_LINK=-l$lib"
        return 0
      fi
    done
  done
  dir=$(_gcb_wheel_dir "$wheel") || dir=
  if [ -n "$dir" ] && [ -f "$dir/include/$header" ]; then
    local so
    so=$(ls "$dir"/lib/lib"$lib".so* 2>/dev/null | head -1)
    if [ -n "$so" ]; then
      eval "${var}_INC=\$dir/include ${var}_LIB=\$dir/lib ${var}_LINK=-l:$(basename "$so")"
      return 0
    fi
  fi
  echo "grouped_conv_bench: cannot find $header / lib$lib.so (set CUDNN_HOME" \
       "or install the $wheel wheel)" >&2
  return 1
}

# build_grouped_conv_bench OUTDIR: compiles OUTDIR/grouped_conv_bench.
build_grouped_conv_bench() {
  local out=${1:-build-gpu-bench} root
  root=$(_gcb_repo_root)
  CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
  local nvcc=${NVCC:-$CUDA_HOME/bin/nvcc}
  command -v "$nvcc" >/dev/null 2>&1 || nvcc=nvcc
  _gcb_locate CUDNN cudnn cudnn.h nvidia.cudnn || return 1
  _gcb_locate CUBLAS cublas cublas_v2.h nvidia.cublas || return 1
  mkdir -p "$out"
  echo "building $out/grouped_conv_bench (cuDNN: $CUDNN_LIB)"
  "$nvcc" -O3 -std=c++17 -arch="sm_${CUDA_ARCH:-90}" \
    -Werror all-warnings -I"$root" -I"$CUDNN_INC" -I"$CUBLAS_INC" \
    "$root/bench/gpu/grouped_conv_bench.cu" \
    "$root/runtime/cuda/Context.cpp" "$root/runtime/cuda/Elementwise.cu" \
    "$root/runtime/cuda/ConvChoice.cpp" \
    "$root/runtime/cuda/GroupedConvChoice.cpp" \
    "$root/runtime/cuda/GemmConv.cu" \
    -o "$out/grouped_conv_bench" \
    -L"$CUDNN_LIB" -L"$CUBLAS_LIB" "$CUDNN_LINK" "$CUBLAS_LINK" \
    -Xlinker -rpath -Xlinker "$CUDNN_LIB" -Xlinker -rpath -Xlinker "$CUBLAS_LIB"
}

# run_grouped_conv_bench OUTDIR: runs it (exit 1 if results disagree).
run_grouped_conv_bench() {
  local out=${1:-build-gpu-bench}
  "$out/grouped_conv_bench"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  build_grouped_conv_bench "${1:-build-gpu-bench}"
  run_grouped_conv_bench "${1:-build-gpu-bench}"
fi
