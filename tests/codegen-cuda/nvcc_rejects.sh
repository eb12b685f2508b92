#!/bin/bash
# nvcc_rejects.sh CARDINAL WORKDIR
#
# A .cu that nvcc rejects is a Cardinal bug: `cardinal build --target cuda`
# must show nvcc's messages, keep the generated source and name it, exit 1.
# A stand-in nvcc that always fails plays the rejecting compiler.
set -u
cardinal=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "FAIL: $*"; cat "$dir/err" 2>/dev/null; exit 1; }
printf '#!/bin/sh\necho "trainer.cu(7): error: stand-in nvcc rejects everything" >&2\nexit 2\n' \
  >"$dir/nvcc"
chmod +x "$dir/nvcc"
NVCC=$dir/nvcc "$cardinal" build resnext_small --image 8 --channels 1 \
  --batch 2 --target cuda -o "$dir/trainer" >/dev/null 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] || fail "exit $rc, not 1"
grep -q "stand-in nvcc rejects everything" "$dir/err" || fail "nvcc's message not shown"
kept=$(grep -o "kept at [^ :]*trainer\.cu" "$dir/err" | cut -d' ' -f3)
[ -n "$kept" ] && [ -s "$kept" ] || fail "the .cu is not kept and named"
grep -q "class GeneratedModel" "$kept" || fail "the kept file is not the trainer"
rm -rf "$(dirname "$kept")"
echo PASS
