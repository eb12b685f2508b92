#!/usr/bin/env bash
# The GPU check's step comparison, exercised on the CPU (ctest
# e2e.step_compare): oracle_main.cpp --write-input makes an input for
# resnext_small, two separately compiled harnesses run its 3 steps, and
# bench/gpu/compare_step.py must accept the pair and reject a run whose
# learning rate was changed (step 1 equal, later steps not).
#   step_compare.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
cxx=${CXX:-c++} lib=$build/lib
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cardinal-step-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "step_compare: $*" >&2; exit 1; }

"$build/bin/cardinal" build resnext_small --image 8 --channels 1 --batch 8 \
  --emit=cpp -o "$tmp/small.cpp"
"$cxx" -std=c++17 -O2 -fopenmp -I"$src" "$tmp/small.cpp" \
  "$src/tests/e2e/oracle_main.cpp" "$lib/libCardinalTrainer.a" \
  "$lib/libCardinalRuntimeData.a" "$lib/libCardinalRuntimeCheckpoint.a" \
  "$lib/libCardinalRuntimeKernels.a" -lopenblas -lz -o "$tmp/oracle"
"$tmp/oracle" --write-input 7 "$tmp/in.safetensors"
"$tmp/oracle" "$tmp/in.safetensors" "$tmp/a.safetensors" > /dev/null
"$tmp/oracle" "$tmp/in.safetensors" "$tmp/b.safetensors" > /dev/null
python3 "$src/bench/gpu/compare_step.py" "$tmp/a.safetensors" \
  "$tmp/b.safetensors" | tee "$tmp/same.txt"
grep -q "^ok: all [0-9]* tensors within" "$tmp/same.txt" || fail "equal runs rejected"

# lr 0.1 -> 0.2 (same header length): a wiring bug in the update.
python3 - "$tmp" <<'PY'
import sys
d = open(sys.argv[1] + "/in.safetensors", "rb").read()
i = d.index(b'"lr":"0.1"')
open(sys.argv[1] + "/lr.safetensors", "wb").write(d[:i] + b'"lr":"0.2"' + d[i + 10:])
PY
"$tmp/oracle" "$tmp/lr.safetensors" "$tmp/c.safetensors" > /dev/null
if python3 "$src/bench/gpu/compare_step.py" "$tmp/a.safetensors" \
     "$tmp/c.safetensors" > "$tmp/lr.txt"; then
  cat "$tmp/lr.txt"; fail "a changed learning rate was accepted"
fi
cat "$tmp/lr.txt"
grep -Eq "gradients, step 1 +max relative error 0$" "$tmp/lr.txt" \
  || fail "step-1 gradients should not depend on the learning rate"
echo "PASS"
