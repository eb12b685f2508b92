#!/usr/bin/env bash
# Data-parallel trainer tests under mpirun -np 2 (tests/comm/CMakeLists.txt).
#
#   dp_test.sh MODE MPIEXEC HARNESS16 HARNESS32 CARDINAL WORKDIR
#
# HARNESS16 / HARNESS32: tests/comm/DpHarness.cpp linked with resnext_small
# (8x8x1, 10 classes) built for batch 16 / 32. Modes:
#   equivalence   2 ranks (per-rank BN): parameters and momentum identical on
#                 both ranks after every step, and equal to the single-process
#                 run that averages the gradients of the two half-batches
#   sync-bn       2 ranks with --sync-bn: all tensors (BN statistics too)
#                 identical on both ranks after every step, and equal to one
#                 process training the whole batch of 32
#   kill-resume   rank 1 is SIGKILLed in epoch 2: mpirun exits non-zero
#                 quickly, naming the rank; --resume from rank 0's epoch-1
#                 checkpoint ends bit-identical to an uninterrupted run
#   hang          rank 1 hangs in epoch 2: rank 0's watchdog aborts the job
#                 after --comm-timeout 3 with a message naming the rank
#   trainer       the trainer `cardinal build` links (BuildCommand's link
#                 line) under mpirun: rank-0-only output, all-reduce timers,
#                 sharded evaluation (training's, and `eval` under mpirun)
#                 equal to one process's
set -u -o pipefail
mode=$1 mpiexec=$2 h16=$3 h32=$4 cardinal=$5 work=$6
mpirun=("$mpiexec" --allow-run-as-root --oversubscribe -np 2)
data=(--data synthetic:256 --threads 1 --seed 5 --lr 0.05 --schedule constant)
oracle=(--data synthetic:256 --seed 5 --lr 0.05) # constant lr, 1 thread
rm -rf "$work" && mkdir -p "$work" || exit 1
cd "$work" || exit 1

fail() { echo "FAIL: $*"; exit 1; }

# Every step's "<step> <params+velocity hash> <state hash>" of both ranks;
# $1: columns that must agree (2 = parameters, 2,3 = also BN state).
same_steps() {
  local cols=$1 dir=$2
  [[ -s $dir/steps.rank0 && -s $dir/steps.rank1 ]] || fail "no step logs in $dir"
  diff <(cut -d' ' -f1,"$cols" "$dir/steps.rank0") \
       <(cut -d' ' -f1,"$cols" "$dir/steps.rank1") > /dev/null \
    || fail "ranks differ after some step ($dir/steps.rank*)"
  echo "ranks identical after each of $(wc -l < "$dir/steps.rank0") steps (columns 1,$cols)"
}

elapsed() { echo $(( $(date +%s) - $1 )); }

case $mode in
equivalence)
  CARDINAL_TEST_STEP_LOG=$work/steps "${mpirun[@]}" "$h16" train "${data[@]}" \
    --epochs 2 --checkpoint-dir "$work" > out.txt 2>&1 || { cat out.txt; fail "2-rank run"; }
  cat out.txt
  grep -q "warning: the tensors" out.txt && fail "epoch-end replica check found a difference"
  [[ $(grep -c "test accuracy" out.txt) == 1 ]] || fail "expected one 'test accuracy' line (rank 0 only)"
  grep -Eq "epoch 2/2 .* 2 ranks  allreduce [0-9.]+ ms/step" out.txt || fail "no all-reduce timer in the epoch line"
  [[ $(wc -l < metrics.csv) == 3 ]] || fail "metrics.csv should have a header and 2 rows"
  same_steps 2 "$work"
  # Per-rank BN statistics really differ (else this test proves little).
  diff -q <(cut -d' ' -f3 steps.rank0) <(cut -d' ' -f3 steps.rank1) > /dev/null \
    && fail "BN running statistics identical on both ranks without --sync-bn"
  "$h16" oracle-split "${oracle[@]}" --epochs 2 --checkpoint last.safetensors \
    --tolerance 1e-6 2>&1 | tee oracle.txt
  grep -q "oracle: ok" oracle.txt || fail "2 ranks != averaged half-batch gradients"
  ;;
sync-bn)
  CARDINAL_TEST_STEP_LOG=$work/steps "${mpirun[@]}" "$h16" train --sync-bn "${data[@]}" \
    --epochs 1 --checkpoint-dir "$work" > out.txt 2>&1 || { cat out.txt; fail "2-rank --sync-bn run"; }
  cat out.txt
  grep -Eq "allreduce [0-9.]+ ms/step \(gradients [0-9.]+, sync-bn [0-9.]+\)" out.txt \
    || fail "no sync-bn timer"
  same_steps 2,3 "$work"
  # Float sums in another order (two half-batches, then across ranks):
  # ~1e-6 after 8 steps on this model; 1e-5 leaves room for other BLAS.
  "$h32" oracle-full "${oracle[@]}" --epochs 1 --checkpoint last.safetensors \
    --tolerance 1e-5 2>&1 | tee oracle.txt
  grep -q "oracle: ok" oracle.txt || fail "--sync-bn on 2 ranks != one process on the whole batch"
  # ... and per-rank BN is measurably not that.
  "${mpirun[@]}" "$h16" train "${data[@]}" --epochs 1 --checkpoint-dir "$work/local" \
    --quiet > /dev/null 2>&1 || fail "2-rank run without --sync-bn"
  "$h32" oracle-full "${oracle[@]}" --epochs 1 --checkpoint local/last.safetensors \
    --tolerance 1e-3 > oracle-local.txt 2>&1 && fail "per-rank BN matched the whole-batch BN"
  echo "without --sync-bn: $(grep 'max relative' oracle-local.txt)"
  ;;
kill-resume)
  "${mpirun[@]}" "$h16" train "${data[@]}" --epochs 3 --checkpoint-dir "$work/full" \
    --quiet > full.txt 2>&1 || { cat full.txt; fail "uninterrupted run"; }
  start=$(date +%s)
  CARDINAL_TEST_FAULT_RANK=1 CARDINAL_TEST_KILL_STEP=12 "${mpirun[@]}" "$h16" train \
    "${data[@]}" --epochs 3 --checkpoint-dir "$work/k" --quiet > killed.txt 2>&1
  rc=$?
  cat killed.txt
  echo "killed run: exit $rc after $(elapsed "$start") s"
  [[ $rc != 0 ]] || fail "the job survived a killed rank"
  (( $(elapsed "$start") < 30 )) || fail "the job took too long to end"
  grep -Eq "rank 1 .*(signal 9|Killed)|process rank 1" killed.txt || fail "no message naming the dead rank"
  [[ $(wc -l < k/metrics.csv) == 2 ]] || fail "expected epoch 1 only in the killed run's metrics"
  # Settings (seed, lr, schedule, epochs) come from the checkpoint.
  "${mpirun[@]}" "$h16" train --data synthetic:256 --threads 1 \
    --checkpoint-dir "$work/k" --resume > resumed.txt 2>&1 || { cat resumed.txt; fail "resume"; }
  cat resumed.txt
  cmp full/last.safetensors k/last.safetensors || fail "resumed checkpoint != uninterrupted"
  diff <(cut -d, -f1-6 full/metrics.csv) <(cut -d, -f1-6 k/metrics.csv) || fail "metrics differ"
  echo "resumed run is bit-identical to the uninterrupted one"
  ;;
hang)
  start=$(date +%s)
  CARDINAL_TEST_FAULT_RANK=1 CARDINAL_TEST_HANG_STEP=12 "${mpirun[@]}" "$h16" train \
    "${data[@]}" --epochs 3 --checkpoint-dir "$work" --quiet --comm-timeout 3 > hang.txt 2>&1
  rc=$?
  cat hang.txt
  echo "hung run: exit $rc after $(elapsed "$start") s"
  [[ $rc != 0 ]] || fail "the job survived a hung rank"
  (( $(elapsed "$start") < 30 )) || fail "the watchdog did not end the job in time"
  grep -Eq "rank 0/2 .*did not complete within 3 s" hang.txt || fail "no watchdog message"
  ;;
trainer)
  "$cardinal" build resnext_small --image 8 --channels 1 --batch 16 -o trainer \
    || fail "cardinal build"
  "${mpirun[@]}" ./trainer train --epochs 2 --threads 1 --checkpoint-dir ck > out.txt 2>&1 \
    || { cat out.txt; fail "2-rank digits run"; }
  cat out.txt
  [[ $(grep -c "^epoch " out.txt) == 2 ]] || fail "expected 2 epoch lines (rank 0 only)"
  [[ $(grep -c "test accuracy" out.txt) == 1 ]] || fail "expected one 'test accuracy' line"
  grep -Eq "2 ranks  allreduce [0-9.]+ ms/step" out.txt || fail "no all-reduce timer"
  acc=$(sed -n 's/^test accuracy: \([0-9]*\).*/\1/p' out.txt)
  (( acc >= 85 )) || fail "accuracy $acc% < 85%"
  [[ -s ck/last.safetensors && $(wc -l < ck/metrics.csv) == 3 ]] || fail "rank 0's checkpoint/metrics"
  # Sharded evaluation (each rank scores its half of the test set, the sums
  # are added up) gives what one process scoring all of it gives: in the
  # last epoch of training, and from `eval` under the launcher.
  ./trainer eval --threads 1 --checkpoint-dir ck > eval1.txt 2>&1 || { cat eval1.txt; fail "eval"; }
  "${mpirun[@]}" ./trainer eval --threads 1 --checkpoint-dir ck > eval2.txt 2>&1 \
    || { cat eval2.txt; fail "2-rank eval"; }
  cat eval2.txt
  field() { sed -n "s/^$1: \\([0-9.]*\\).*/\\1/p" "$2"; }
  grep -q "^ranks: 2 " eval2.txt || fail "eval under mpirun did not run on 2 ranks"
  [[ $(grep -c "^test loss" eval2.txt) == 1 ]] || fail "expected one 'test loss' line (rank 0 only)"
  [[ $(field "test samples" eval2.txt) == 360 ]] || fail "2-rank eval did not score all 360 test digits"
  for f in "test top-1 error" "test top-5 error"; do
    [[ -n $(field "$f" eval1.txt) && $(field "$f" eval1.txt) == "$(field "$f" eval2.txt)" ]] \
      || fail "$f: 2 ranks $(field "$f" eval2.txt) != 1 process $(field "$f" eval1.txt)"
  done
  awk -v a="$(field "test loss" eval1.txt)" -v b="$(field "test loss" eval2.txt)" \
    'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d <= 1e-6 * a) }' \
    || fail "test loss: 2 ranks $(field "test loss" eval2.txt) != 1 process $(field "test loss" eval1.txt)"
  two=$(printf '%.2f' "$(tail -n 1 ck/metrics.csv | cut -d, -f4)")
  [[ $two == "$(field "test top-1 error" eval1.txt)" ]] \
    || fail "training's last test top-1 error $two% != eval's"
  echo "sharded evaluation: equal to one process's (top-1 error $two%, loss $(field "test loss" eval2.txt))"
  # One process, no launcher: the same binary trains alone.
  ./trainer train --epochs 1 --threads 1 --checkpoint-dir one --quiet > one.txt 2>&1 \
    || { cat one.txt; fail "single-process run"; }
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
echo "PASS: $mode"
