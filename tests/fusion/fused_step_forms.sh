#!/usr/bin/env bash
# Fused vs unfused training step on the CPU kernels, in all three forms:
#   fused_step_forms.sh BUILD_DIR [SOURCE_DIR]
# For form a, b, c of resnext_small (batch 4, 8x8, C = 4): lower the model
# with cardinal-opt, `cardinal build --emit=cpp` it with the default fusion
# and with --no-fuse, compile each with step_dump_main.cpp, run one training
# step from the same seed and compare loss, every gradient, every updated
# parameter, BN running statistic and momentum buffer: <= 1e-5 relative
# (issue #5). Also checks that the fused trainer calls the conv-level fused
# kernels (statistics epilogue, BN+ReLU prologue, BN-grad reductions in the
# conv backward-data).
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "${2:-$here/../..}" && pwd)
cxx=${CXX:-c++}
python=${PYTHON:-python3}
lib=$build/lib
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cardinal-fused-step.XXXXXX")
trap 'rc=$?; [[ $rc -ne 0 ]] && echo "work directory kept: $tmp" || rm -rf "$tmp"' EXIT

flags=(-std=c++17 -O2 -fopenmp -I"$src")
"$cxx" "${flags[@]}" -c "$here/step_dump_main.cpp" -o "$tmp/main.o"
"$build/bin/cardinal" build resnext_small --image 8 --channels 3 --batch 4 \
  --classes 5 --emit=mlir -o "$tmp/model.mlir"

status=0
for form in a b c; do
  dir=$tmp/$form
  mkdir -p "$dir"
  "$build/bin/cardinal-opt" "$tmp/model.mlir" --nn-lower-aggregate=form=$form \
    -o "$dir/model.mlir"
  for mode in fused unfused; do
    extra=()
    [[ $mode == unfused ]] && extra=(--no-fuse)
    "$build/bin/cardinal" build "$dir/model.mlir" "${extra[@]}" --emit=cpp \
      -o "$dir/$mode.cpp"
    "$cxx" "${flags[@]}" "$dir/$mode.cpp" "$tmp/main.o" \
      "$lib/libCardinalTrainer.a" "$lib/libCardinalRuntimeData.a" \
      "$lib/libCardinalRuntimeCheckpoint.a" "$lib/libCardinalRuntimeKernels.a" \
      -lopenblas -lz -o "$dir/$mode"
    OMP_NUM_THREADS=2 "$dir/$mode" 7 "$dir/$mode.txt"
  done
  stats=$(grep -c 'conv2dStatsForward<float>' "$dir/fused.cpp" || true)
  prologue=$(grep -c 'bnReluConv2dForward<float>' "$dir/fused.cpp" || true)
  sums=$(grep -c 'conv2dBackwardDataBnSums<float>' "$dir/fused.cpp" || true)
  echo "=== form ($form): $stats conv2dStatsForward, $prologue bnReluConv2dForward, $sums conv2dBackwardDataBnSums calls ==="
  if [[ $stats -eq 0 || $prologue -eq 0 || $sums -eq 0 ]]; then
    echo "form ($form): the fused trainer has no conv-level fused kernels"
    status=1
  fi
  "$python" "$here/compare_steps.py" "$dir/unfused.txt" "$dir/fused.txt" 1e-5 ||
    status=1
done
exit $status
