#!/usr/bin/env bash
# End-to-end PyTorch oracle (ctest e2e.torch_oracle):
#   run_oracle.sh BUILD_DIR [SOURCE_DIR]
# For each configuration below: `cardinal build --emit=cpp` the zoo model,
# compile tests/e2e/oracle_main.cpp with the emitted file using the flags of
# tools/cardinal/BuildCommand.cpp (minus libCardinalTrainerMain.a), and let
# torch_oracle.py compare loss, step-1 gradients and three SGD steps with
# PyTorch. Exits 77 (skipped) when PyTorch is not importable.
#
# Environment: CXX (compiler, as `cardinal build` honours it), PYTHON
# (default /usr/bin/python3, Debian's torch), ORACLE_ARGS (extra flags for
# torch_oracle.py, e.g. --quiet), KEEP_TMP=1 (keep the work directory; it
# is always kept, and named, on failure).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [SOURCE_DIR]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "${2:-$here/../..}" && pwd)
cxx=${CXX:-c++}
python=${PYTHON:-/usr/bin/python3}
[[ -x $python ]] || python=python3
lib=$build/lib
cardinal=$build/bin/cardinal

if ! "$python" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "SKIP: e2e.torch_oracle needs PyTorch and NumPy in $python" \
       "(Debian: python3-torch python3-numpy); nothing was compared"
  exit 77
fi
for f in "$cardinal" "$lib/libCardinalTrainer.a" "$lib/libCardinalRuntimeData.a" \
         "$lib/libCardinalRuntimeCheckpoint.a" "$lib/libCardinalRuntimeKernels.a"; do
  [[ -e $f ]] || { echo "error: $f is missing; build Cardinal first" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cardinal-e2e-oracle.XXXXXX")
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  local rc=$?
  if [[ $rc -ne 0 && $rc -ne 77 ]] || [[ ${KEEP_TMP:-0} == 1 ]]; then
    echo "work directory kept: $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# Model and shapes shared by the build and the oracle.
model=resnext_small
shape=(--image 8 --channels 3 --batch 8 --classes 10)
# DESIGN §2 CIFAR recipe (wd 5e-4 rather than ImageNet's 1e-4: a missing
# weight-decay term then shows in the momentum buffers well above 1e-4).
hyper=(--lr 0.1 --momentum 0.9 --wd 5e-4)

# name | extra `cardinal build` flags (also given to torch_oracle.py) | seed
# (seeds whose PyTorch run is well-conditioned here, so that torch_oracle.py
# need not try others; it would, and say so, where that differs)
configs=("default||1234" "no-bn-decay|--no-bn-decay|1236")

# The harness main, once; each configuration links it with its model.
flags=(-std=c++17 -O2 -fopenmp -I"$src")
"$cxx" "${flags[@]}" -c "$here/oracle_main.cpp" -o "$tmp/oracle_main.o"

status=0
for entry in "${configs[@]}"; do
  IFS='|' read -r name buildflags seed <<<"$entry"
  read -r -a extra <<<"$buildflags"
  dir=$tmp/$name
  mkdir -p "$dir"
  echo "=== $model ${shape[*]} ${hyper[*]} ${extra[*]:-} ==="
  "$cardinal" build "$model" "${shape[@]}" "${hyper[@]}" "${extra[@]}" \
    --emit=cpp -o "$dir/model.cpp"
  # tools/cardinal/BuildCommand.cpp's compile line, with our main instead of
  # libCardinalTrainerMain.a.
  "$cxx" "${flags[@]}" "$dir/model.cpp" "$tmp/oracle_main.o" \
    "$lib/libCardinalTrainer.a" \
    "$lib/libCardinalRuntimeData.a" "$lib/libCardinalRuntimeCheckpoint.a" \
    "$lib/libCardinalRuntimeKernels.a" -lopenblas -lz -o "$dir/oracle"
  rc=0
  # shellcheck disable=SC2086
  "$python" "$here/torch_oracle.py" --harness "$dir/oracle" --workdir "$dir" \
    --model "$model" "${shape[@]}" "${hyper[@]}" "${extra[@]}" --seed "$seed" \
    ${ORACLE_ARGS:-} || rc=$?
  if [[ $rc -eq 77 ]]; then
    exit 77
  elif [[ $rc -ne 0 ]]; then
    echo "=== $name: FAILED (exit $rc) ==="
    status=1
  else
    echo "=== $name: passed ==="
  fi
done
exit $status
