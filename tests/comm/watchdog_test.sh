#!/usr/bin/env bash
# comm.mpi.watchdog: rank 1 never reaches a barrier; rank 0's watchdog
# (timeout 2 s) must print which rank timed out in what, and end the job
# (non-zero exit) well before ctest's timeout.
#   watchdog_test.sh MPIEXEC COMM_MPI_CHECK
set -u
start=$(date +%s)
out=$("$1" --allow-run-as-root --oversubscribe -np 2 "$2" hang 2 2>&1)
rc=$?
took=$(( $(date +%s) - start ))
echo "$out"
echo "exit $rc after $took s"
[[ $rc != 0 ]] || { echo "FAIL: the job survived a hung rank"; exit 1; }
(( took < 20 )) || { echo "FAIL: took $took s"; exit 1; }
grep -q "rank 0/2 .*MPI_Barrier did not complete within 2 s" <<<"$out" \
  || { echo "FAIL: no watchdog message"; exit 1; }
echo "PASS: watchdog"
