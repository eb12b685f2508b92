//===- Bench.h - `trainer bench`: training-step throughput -----------------===//
//
// Times the compiled training step on one fixed random batch (no data
// loading, no evaluation), so CPU and CUDA trainers and a PyTorch step can
// be compared in images/s. A model that runs asynchronously (CUDA) is
// drained before the clock starts and before it stops.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_BENCH_H
#define CARDINAL_RUNTIME_TRAINER_BENCH_H

#include "runtime/trainer/CompiledModel.h"

#include <cstdint>

namespace cardinal::rt {

struct BenchResult {
  int64_t steps = 0;
  double seconds = 0;      // the timed steps, together
  double imagesPerSecond = 0;
  double firstLoss = 0, lastLoss = 0;
};

/// Initializes the model from `seed`, runs `warmup` untimed steps, then
/// `steps` timed ones; prints a summary to stdout. With `profile`, then
/// `steps` more with each kernel call timed (CompiledModel::startProfile),
/// and prints formatStepProfile's table (or that the model cannot).
BenchResult runBench(CompiledModel &model, int64_t steps, int64_t warmup,
                     uint64_t seed, bool profile = false);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_BENCH_H
