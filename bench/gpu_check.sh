#!/bin/bash
# bench/gpu_check.sh  (run on the GPU machine, in the repo root; < 8 min)
#
# One-shot check of the CUDA path on a machine with nvcc, a GPU and
# python3+torch but no MLIR and no network. Needs .gpu-pack/ from
# bench/gpu_pack.sh (generated .cu trainers, prebuilt CPU runtime archives,
# the shared libraries they need, the digits data). Every stage is
# time-boxed; a failing stage is logged and the script goes on; stages that
# would overrun the 8-minute budget are skipped. Everything goes to $OUT:
#   report.md      the summary: stage table, figures
#   <stage>.log    each stage's output
#
# Builds (no GPU needed) run first and in parallel: the CUDA kernel library
# (runtime/cuda, sm_90), then part A's kernel tests and grouped-conv
# microbenchmark, and the generated trainers (small digits fp32/bf16,
# ResNeXt-50 32x4d bf16 generated and cuDNN-only plans). Then, one at a time
# on the GPU: kernel tests (each kernel vs the CPU kernels), the small
# trainers trained 352 steps on digits (fp32 also replayed as a CUDA graph,
# CARDINAL_CUDA_GRAPHS=1), three training steps of the small model in fp32
# and bf16 compared tensor by tensor with the CPU's (gpu_pack.sh ran them
# there), the microbenchmark, the ResNeXt-50 bf16 train
# step (batch 32, 224x224) in images/s for both plans (the generated one
# eagerly and as a graph) and for PyTorch, with the generated plan's
# per-layer choice between its grouped 3x3 kernels and cuDNN
# (CARDINAL_CONV_CHOICES=1) and both plans' per-kernel profiles; last,
# compute-sanitizer (memcheck, racecheck) over the small model's steps and
# Nsight Compute on the first generated grouped 3x3 launches.
set -u
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
PACK=$PWD/.gpu-pack
WORK=$(mktemp -d /tmp/gpu-check.XXXXXX)
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
PY=${PYTHON:-python3}
ARCH="-gencode arch=compute_90,code=sm_90" # the H200; CI also builds sm_80
JOBS=$(nproc 2>/dev/null || echo 8)
BUDGET=${BUDGET:-465} # seconds for all stages (the report needs a few more)
T0=$(date +%s)
: >"$OUT/stages.tsv"
# The pack's shared libraries come gzipped (gpu_pack.sh: the carry limit).
for f in "$PACK"/lib/*.gz; do
  [ -e "$f" ] && gunzip -f "$f"
done

# stage NAME SECONDS COMMAND...: runs COMMAND (a function, exported) under
# `timeout`, output to $OUT/NAME.log, one row in stages.tsv. Never fails.
stage() {
  local name=$1 limit=$2 start rc left
  shift 2
  start=$(date +%s)
  left=$((BUDGET - (start - T0)))
  if [ "$left" -lt 15 ]; then
    printf '%s\t%s\t%s\n' "$name" "SKIPPED (time budget)" 0 >>"$OUT/stages.tsv"
    echo "== $name: skipped (time budget)"
    return 0
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" bash -c '"$@"' "$name" "$@" \
    >"$OUT/$name.log" 2>&1
  rc=$?
  local secs=$(($(date +%s) - start)) verdict=ok
  [ $rc -eq 0 ] || verdict="FAILED (exit $rc)"
  [ $rc -eq 124 ] && verdict="TIMED OUT"
  printf '%s\t%s\t%s\n' "$name" "$verdict" "$secs" >>"$OUT/stages.tsv"
  echo "   $verdict in ${secs}s"
  tail -n 3 "$OUT/$name.log" | sed 's/^/   | /'
  return 0
}

# --- environment: cuDNN/cuBLAS from the toolkit or the Python wheels -------
CUDA_HOME=${CUDA_HOME:-$(dirname "$(dirname "$NVCC")")}
wheel() { "$PY" -c "import $1, os; print(os.path.dirname($1.__file__))" 2>/dev/null; }
CUDNN_WHEEL=$(wheel nvidia.cudnn) CUBLAS_WHEEL=$(wheel nvidia.cublas)
NCCL_WHEEL=$(wheel nvidia.nccl)
CUDNN_INC="" CUDNN_LIBDIR=""
for d in "$CUDA_HOME/include" /usr/include ${CUDNN_WHEEL:+"$CUDNN_WHEEL/include"}; do
  [ -f "$d/cudnn.h" ] && { CUDNN_INC=$d; break; }
done
for d in "$CUDA_HOME/lib64" "$CUDA_HOME/lib" /usr/lib/x86_64-linux-gnu \
         ${CUDNN_WHEEL:+"$CUDNN_WHEEL/lib"}; do
  ls "$d"/libcudnn.so* >/dev/null 2>&1 && { CUDNN_LIBDIR=$d; break; }
done
# Wheels ship libcudnn.so.9 only, the pack libopenblas.so.0 ...: the linker
# gets unversioned names in one folder.
LINKLIB=$WORK/linklib
mkdir -p "$LINKLIB"
for lib in cudnn cublas cublasLt nccl; do
  for d in "$CUDNN_LIBDIR" "$CUDA_HOME/lib64" ${CUBLAS_WHEEL:+"$CUBLAS_WHEEL/lib"} \
           ${NCCL_WHEEL:+"$NCCL_WHEEL/lib"}; do
    f=$(ls "$d"/lib$lib.so.* 2>/dev/null | head -n 1)
    [ -n "$f" ] && [ ! -e "$LINKLIB/lib$lib.so" ] && ln -s "$f" "$LINKLIB/lib$lib.so"
  done
done
for f in "$PACK"/lib/*.so*; do
  [ -e "$f" ] || continue
  base=$(basename "$f")
  ln -sf "$f" "$LINKLIB/${base%%.so*}.so"
done
export LD_LIBRARY_PATH="$PACK/lib:$LINKLIB:$CUDNN_LIBDIR:$CUDA_HOME/lib64${CUBLAS_WHEEL:+:$CUBLAS_WHEEL/lib}${NCCL_WHEEL:+:$NCCL_WHEEL/lib}:${LD_LIBRARY_PATH:-}"
export OUT PACK WORK NVCC PY ARCH JOBS CUDA_HOME CUDNN_INC CUDNN_LIBDIR LINKLIB

env_info() {
  nvidia-smi || true
  "$NVCC" --version
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' || true
  echo "CUDNN_INC=$CUDNN_INC CUDNN_LIBDIR=$CUDNN_LIBDIR"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  ls -l "$PACK" "$PACK/lib" "$PACK/cu" "$LINKLIB"
}
export -f env_info
stage env 30 env_info

# --- builds (CPU only, in parallel) ----------------------------------------
# The generated trainers are single nvcc processes (ResNeXt-50: minutes):
# they start first, in the background.
compile_trainer() { # NAME: .gpu-pack/cu/NAME.cu -> $WORK/NAME.o
  "$NVCC" -std=c++17 -O3 $ARCH -Werror all-warnings -I"$PWD" -I"$CUDNN_INC" \
    -c "$PACK/cu/$1.cu" -o "$WORK/$1.o"
}
export -f compile_trainer
declare -A BG
for name in r50_bf16 r50_bf16_cudnn small_fp32 small_bf16; do
  stage "compile_$name" 420 compile_trainer "$name" &
  BG[$name]=$!
done

LIBCUDA=$PACK/lib/libCardinalRuntimeCuda.a # fallback: built here, sm_80+90
build_cuda_lib() {
  mkdir -p "$WORK/obj"
  local flags="-std=c++17 -O3 $ARCH -Werror all-warnings -I$PWD -I$CUDNN_INC"
  ls runtime/cuda/*.cu runtime/cuda/*.cpp | xargs -P "$JOBS" -I{} sh -c \
    "$NVCC $flags -c {} -o $WORK/obj/\$(basename {}).o || exit 255"
  ar rcs "$WORK/libCardinalRuntimeCuda.a" "$WORK"/obj/*.o
}
export -f build_cuda_lib
stage build_cuda_lib 240 build_cuda_lib
if [ -f "$WORK/libCardinalRuntimeCuda.a" ]; then
  LIBCUDA=$WORK/libCardinalRuntimeCuda.a
fi
echo "CUDA kernel library: $LIBCUDA" >>"$OUT/build_cuda_lib.log"
export LIBCUDA

build_kernel_tests() {
  "$NVCC" -std=c++17 -O3 $ARCH -Werror all-warnings -I"$PWD" -I"$CUDNN_INC" \
    tests/cuda/Gpu*.cpp tests/cuda/Gpu*.cu "$LIBCUDA" \
    "$PACK/lib/libCardinalRuntimeKernels.a" -L"$LINKLIB" -L"$CUDNN_LIBDIR" \
    -lcudnn -lcublas -lopenblas -lgomp -o "$WORK/cuda-kernels-gpu-test"
}
build_bench() {
  source bench/gpu/build_and_run_grouped_conv_bench.sh
  build_grouped_conv_bench "$WORK/grouped-bench"
}
export -f build_kernel_tests build_bench
stage build_kernel_tests 240 build_kernel_tests &
BG[tests]=$!
stage build_grouped_conv_bench 240 build_bench &
BG[bench]=$!

# link_trainer NAME [MAIN OUTPUT]: $WORK/NAME.o -> $WORK/NAME, with the
# trainer's main (or the object MAIN, into OUTPUT)
link_trainer() {
  local name=$1 L=$PACK/lib
  local main=${2:-$L/libCardinalTrainerMain.a} output=${3:-$WORK/$1}
  [ -f "$WORK/$name.o" ] || { echo "no $name.o: its compile failed"; return 1; }
  "$NVCC" $ARCH "$WORK/$name.o" "$main" \
    "$L/libCardinalTrainer.a" "$L/libCardinalRuntimeNccl.a" \
    "$L/libCardinalRuntimeComm.a" \
    "$L/libCardinalRuntimeData.a" "$L/libCardinalRuntimeCheckpoint.a" \
    "$L/libCardinalRuntimeKernels.a" "$LIBCUDA" -L"$LINKLIB" \
    -L"$CUDNN_LIBDIR" -lcudnn -lcublas -lnccl -lopenblas -lz -ljpeg -lmpi \
    -lgomp -Xlinker -rpath-link="$PACK/lib" -o "$output"
}
export -f link_trainer

# --- on the GPU, one at a time ---------------------------------------------
kernel_tests() {
  local t=$WORK/cuda-kernels-gpu-test
  if [ ! -x "$t" ]; then
    echo "building the kernel tests here failed: running the packed binary"
    t=$PACK/bin/cuda-kernels-gpu-test
  fi
  "$t"
}
export -f kernel_tests
wait "${BG[tests]}"
stage kernel_tests 90 kernel_tests

train_small() { # NAME [CKPT]: link, then 8 digits epochs (44 steps of 32)
  local name=$1 ckpt=${2:-$1}
  if [ ! -x "$WORK/$name" ] && ! link_trainer "$name"; then
    [ "$name" = small_fp32 ] || return 1
    echo "linking here failed: running the packed trainer"
    cp "$PACK/bin/small_fp32" "$WORK/$name"
  fi
  "$WORK/$name" info
  "$WORK/$name" train --data "digits:$PACK/digits.csv.gz" --epochs 8 \
    --seed 1 --quiet --checkpoint-dir "$WORK/ckpt-$ckpt" &&
    cat "$WORK/ckpt-$ckpt/metrics.csv"
}
export -f train_small
wait "${BG[small_fp32]}" "${BG[small_bf16]}"
stage train_small_fp32 60 train_small small_fp32
stage train_small_bf16 60 train_small small_bf16
# The same fp32 run with the step replayed as a CUDA graph (StepGraph.h):
# the accuracy must match the eager run's.
stage train_small_fp32_graphs 60 env CARDINAL_CUDA_GRAPHS=1 \
  bash -c 'train_small small_fp32 small_fp32_graphs'

# step_vs_cpu NAME TOLERANCE: the CUDA build of the small model runs the
# pack's 3 training steps (tests/e2e/oracle_main.cpp: same weights, batch,
# hyper-parameters as the CPU run gpu_pack.sh made); every loss, gradient,
# tensor and logit must match the CPU's (bench/gpu/compare_step.py).
step_vs_cpu() {
  local name=$1 tol=$2
  "$NVCC" -std=c++17 -O2 -I"$PWD" -c tests/e2e/oracle_main.cpp \
    -o "$WORK/oracle_main.o" &&
    link_trainer "$name" "$WORK/oracle_main.o" "$WORK/${name}_step" &&
    "$WORK/${name}_step" "$PACK/step_in.safetensors" \
      "$WORK/step_$name.safetensors" &&
    "$PY" bench/gpu/compare_step.py "$PACK/step_cpu.safetensors" \
      "$WORK/step_$name.safetensors" --tolerance "$tol"
}
export -f step_vs_cpu
# fp32: sums in other orders only. bf16: activations rounded to 8 bits, so
# only wiring errors (order-one differences) fail it.
stage step_vs_cpu_fp32 60 step_vs_cpu small_fp32 1e-3
stage step_vs_cpu_bf16 60 step_vs_cpu small_bf16 0.1

run_bench() {
  source bench/gpu/build_and_run_grouped_conv_bench.sh
  run_grouped_conv_bench "$WORK/grouped-bench"
}
export -f run_bench
wait "${BG[bench]}"
stage grouped_conv_bench 120 run_bench

wait "${BG[r50_bf16]}" "${BG[r50_bf16_cudnn]}"
stage link_r50 60 bash -c 'link_trainer r50_bf16 && link_trainer r50_bf16_cudnn'
# CARDINAL_CONV_CHOICES=1: at exit the trainer prints which of the generated
# kernel and cuDNN each grouped 3x3 layer chose, and which of cuDNN and a
# cuBLAS GEMM each dense 1x1 layer chose, with both times. --profile: after
# the timed steps, 30 more with each kernel call's GPU time (eager steps).
stage r50_step_generated 90 env CARDINAL_CONV_CHOICES=1 \
  "$WORK/r50_bf16" bench --steps 30 --profile
stage r50_step_cudnn_only 90 "$WORK/r50_bf16_cudnn" bench --steps 30 --profile
stage r50_step_graphs 60 env CARDINAL_CUDA_GRAPHS=1 \
  "$WORK/r50_bf16" bench --steps 30
torch_step() {
  PYTHONPATH="$PWD/bench" "$PY" - <<'PYEOF'
import time, torch, torch.nn.functional as F
from torch_resnext import ResNeXt50
torch.backends.cudnn.benchmark = True
m = ResNeXt50().cuda().to(memory_format=torch.channels_last)
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
x = torch.randn(32, 3, 224, 224, device="cuda").to(memory_format=torch.channels_last)
y = torch.randint(0, 1000, (32,), device="cuda")
def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = F.cross_entropy(m(x), y)
    loss.backward()
    opt.step()
for _ in range(5):
    step()
torch.cuda.synchronize()
t = time.perf_counter()
for _ in range(30):
    step()
torch.cuda.synchronize()
s = (time.perf_counter() - t) / 30
print("step time: %.3f ms" % (1e3 * s))
print("images/s: %.1f" % (32 / s))
PYEOF
}
export -f torch_step
stage r50_step_pytorch 90 torch_step

# Last (skipped first when time runs out): compute-sanitizer over the small
# model's three steps (the step harness above): memcheck for out-of-bounds
# and misaligned accesses, racecheck for shared-memory hazards in the
# generated kernels. It works on the Firecracker machines, not on gVisor
# (KINDS.md): a refusal shows as a failed stage with its message.
SANITIZER=$(command -v compute-sanitizer ||
  ls "$CUDA_HOME"/bin/compute-sanitizer "$CUDA_HOME"/compute-sanitizer/compute-sanitizer 2>/dev/null | head -n 1)
export SANITIZER
sanitize() { # TOOL NAME
  [ -n "$SANITIZER" ] || { echo "no compute-sanitizer found"; return 1; }
  [ -x "$WORK/$2_step" ] || { echo "no $2_step: step_vs_cpu_${2#small_} failed"; return 1; }
  "$SANITIZER" --tool "$1" --error-exitcode 3 "$WORK/$2_step" \
    "$PACK/step_in.safetensors" "$WORK/sanitize_$1_$2.safetensors"
}
export -f sanitize
stage sanitize_memcheck_fp32 90 sanitize memcheck small_fp32
stage sanitize_racecheck_fp32 90 sanitize racecheck small_fp32
stage sanitize_memcheck_bf16 90 sanitize memcheck small_bf16

# Nsight Compute on the first generated grouped 3x3 launches of the
# microbenchmark (ResNeXt-50's first layer, fp32 then bf16): throughput
# against the hardware's (speed of light), occupancy, registers and shared
# memory, for the next round of kernel work. Firecracker only (KINDS.md);
# --clock-control none leaves the clocks alone (METHOD.md).
NCU=$(command -v ncu || ls "$CUDA_HOME"/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -n 1)
export NCU
ncu_grouped() {
  [ -n "$NCU" ] || { echo "no ncu found"; return 1; }
  [ -x "$WORK/grouped-bench/grouped_conv_bench" ] || { echo "no grouped_conv_bench"; return 1; }
  "$NCU" --clock-control none --kernel-name-base demangled \
    --kernel-name regex:grouped3x3 --launch-count 6 \
    --section SpeedOfLight --section Occupancy --section LaunchStats \
    "$WORK/grouped-bench/grouped_conv_bench"
}
export -f ncu_grouped
stage ncu_grouped 90 ncu_grouped
wait

# --- report ----------------------------------------------------------------
ips() { grep -h "^images/s:" "$OUT/$1.log" 2>/dev/null | awk '{print $2}'; }
G=$(ips r50_step_generated) C=$(ips r50_step_cudnn_only) P=$(ips r50_step_pytorch)
GG=$(ips r50_step_graphs)
ratio() {
  if [ -n "$1" ] && [ -n "$2" ]; then
    awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'
  else
    echo "n/a"
  fi
}
{
  echo "# Cardinal GPU check"
  echo
  echo "$(date -u); GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'none found'); total $(($(date +%s) - T0)) s"
  echo
  echo "| stage | result | seconds |"
  echo "|---|---|---|"
  awk -F'\t' '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$OUT/stages.tsv"
  echo
  echo "## Small trainer (resnext_small, digits 8x8, batch 32, 8 epochs = 352 steps)"
  for n in small_fp32 small_bf16 small_fp32_graphs; do
    echo "- $n: $(grep -h "test accuracy" "$OUT/train_$n.log" 2>/dev/null | tail -n 1)"
  done
  echo
  echo "## Three training steps on the GPU vs the CPU (resnext_small, same weights and batch)"
  for n in fp32 bf16; do
    echo "- $n:"
    echo '```'
    res=$(sed -n '/^loss per step/,$p' "$OUT/step_vs_cpu_$n.log" 2>/dev/null)
    echo "${res:-$(tail -n 3 "$OUT/step_vs_cpu_$n.log" 2>/dev/null)}"
    echo '```'
  done
  echo
  echo "## ResNeXt-50 32x4d train step, bf16, batch 32, 224x224"
  echo
  echo "| plan | images/s |"
  echo "|---|---|"
  echo "| Cardinal, grouped 3x3: generated kernel or cuDNN, timed per layer | ${G:-n/a} |"
  echo "| Cardinal, the same, replayed as a CUDA graph | ${GG:-n/a} |"
  echo "| Cardinal, cuDNN-only plan | ${C:-n/a} |"
  echo "| PyTorch (autocast bf16, channels_last, cudnn.benchmark) | ${P:-n/a} |"
  echo
  echo "generated / cuDNN-only: $(ratio "$G" "$C") (goal >= 1.3x); generated / PyTorch: $(ratio "$G" "$P")"
  echo
  # A training step is about 3x the forward's 4.230G mult-adds per image
  # (forward, data and weight gradients), 2 FLOPs each; the ceilings are
  # the measured ones of KINDS.md (788 TFLOP/s bf16 GEMM on random data).
  echo "Achieved (3 x 2 x 4.230 GFLOP per image): $(awk -v g="${G:-0}" -v c="${C:-0}" -v p="${P:-0}" 'BEGIN {
    f = 3 * 2 * 4.230479872e9 / 1e12
    printf "generated %.1f TFLOP/s (%.1f%% of 788), cuDNN-only %.1f, PyTorch %.1f", g * f, 100 * g * f / 788, c * f, p * f }')"
  echo
  # Bytes: the plan's traffic model (codegen/PlanTraffic.h) at 4 bytes an
  # element; bf16 activations halve most of it, so the traffic lies between
  # half and all of it. Ceiling: the 4.3 TB/s copy measured in KINDS.md.
  echo "Memory traffic (plan model, $(cat "$PACK/r50_train_bytes" 2>/dev/null || echo '?') bytes per fp32 step; bf16 between half and all of it): $(awk -v g="${G:-0}" -v b="$(cat "$PACK/r50_train_bytes" 2>/dev/null || echo 0)" 'BEGIN {
    if (g <= 0 || b <= 0) { print "n/a"; exit }
    hi = b * g / 32 / 1e12; lo = hi / 2
    printf "generated %.2f-%.2f TB/s, %.0f-%.0f%% of 4.3 TB/s", lo, hi, 100 * lo / 4.3, 100 * hi / 4.3 }')"
  echo
  echo "### Grouped 3x3 layers: generated kernel or cuDNN (first-call timing)"
  echo
  choices=$(sed -n '/^grouped 3x3 conv choices/,/ grouped 3x3 conv calls$/p' \
    "$OUT/r50_step_generated.log" 2>/dev/null)
  echo "${choices:-(no choice table in r50_step_generated.log)}"
  echo
  echo "### Dense 1x1 layers: cuDNN or a cuBLAS GEMM (first-call timing)"
  echo
  choices=$(sed -n '/^dense 1x1 conv choices/,/ dense 1x1 conv calls$/p' \
    "$OUT/r50_step_generated.log" 2>/dev/null)
  echo "${choices:-(no choice table in r50_step_generated.log)}"
  echo
  # The per-call profile (trainer bench --profile): per kernel, then the
  # slowest calls.
  profile() { awk '/^profile:/ {on = 1} on && !/^(profile:|slowest| )/ {exit} on' "$OUT/$1.log" 2>/dev/null; }
  echo "### Where the step's time goes: generated plan (GPU time per call)"
  echo '```'
  profile r50_step_generated
  echo '```'
  echo "### Where the step's time goes: cuDNN-only plan"
  echo '```'
  profile r50_step_cudnn_only
  echo '```'
  echo
  echo "## Grouped conv microbenchmark (last lines)"
  echo '```'
  tail -n 40 "$OUT/grouped_conv_bench.log" 2>/dev/null
  echo '```'
  echo
  echo "## compute-sanitizer on the small model's three steps"
  for n in memcheck_fp32 racecheck_fp32 memcheck_bf16; do
    res=$(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY" "$OUT/sanitize_$n.log" 2>/dev/null | tail -n 1)
    echo "- $n: ${res:-$(tail -n 1 "$OUT/sanitize_$n.log" 2>/dev/null)}"
  done
  echo
  echo "## Nsight Compute: the first generated grouped 3x3 launches"
  echo '```'
  grep -hE "grouped3x3::|Memory Throughput|DRAM Throughput|Compute \(SM\) Throughput|Duration|Achieved Occupancy|Registers Per Thread|Static Shared Memory Per Block|==ERROR==|==PROF==" \
    "$OUT/ncu_grouped.log" 2>/dev/null | sed 's/(float const\*.*//' | head -n 60
  echo '```'
  echo
  echo "## Kernel tests (last lines)"
  echo '```'
  tail -n 20 "$OUT/kernel_tests.log" 2>/dev/null
  echo '```'
} >"$OUT/report.md"
cat "$OUT/report.md"
rm -rf "$WORK"
exit 0
