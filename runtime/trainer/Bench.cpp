//===- Bench.cpp - `trainer bench` -----------------------------------------===//
#include "runtime/trainer/Bench.h"

#include "runtime/Random.h"
#include "runtime/trainer/Init.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace cardinal::rt {

BenchResult runBench(CompiledModel &model, int64_t steps, int64_t warmup,
                     uint64_t seed, bool profile) {
  Random rng(seed);
  initializeTensors(model.tensors(), rng);
  model.tensorsWritten();
  const int64_t batch = model.batch();
  const RandomBatch data = randomBatch(model, rng);
  // A small lr keeps repeated steps on one batch finite.
  StepHyper hyper = model.defaultHyper();
  hyper.lr = 0.01f;

  BenchResult r;
  r.steps = steps;
  for (int64_t i = 0; i < warmup; ++i)
    r.firstLoss =
        model.trainStep(data.images.data(), data.labels.data(), hyper).loss;
  model.syncTensorsToHost(); // drains an asynchronous device
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < steps; ++i) {
    r.lastLoss =
        model.trainStep(data.images.data(), data.labels.data(), hyper).loss;
    if (i == 0 && warmup == 0)
      r.firstLoss = r.lastLoss;
  }
  model.syncTensorsToHost();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.imagesPerSecond = r.seconds > 0 ? steps * batch / r.seconds : 0;
  std::printf("bench: %s, batch %lld, %lld timed steps after %lld warm-up\n",
              model.name().c_str(), static_cast<long long>(batch),
              static_cast<long long>(steps), static_cast<long long>(warmup));
  std::printf("step time: %.3f ms\n", 1e3 * r.seconds / (steps ? steps : 1));
  std::printf("images/s: %.1f\n", r.imagesPerSecond);
  std::printf("loss: %.6f -> %.6f\n", r.firstLoss, r.lastLoss);
  std::fflush(stdout); // the figures survive whatever the profile does
  if (profile) {
    // Apart from the timed steps: a device model runs profiled steps
    // eagerly and waits for each.
    if (!model.startProfile()) {
      std::printf("profile: not available for this model\n");
    } else {
      for (int64_t i = 0; i < steps; ++i)
        model.trainStep(data.images.data(), data.labels.data(), hyper);
      model.syncTensorsToHost();
      std::printf("%s", formatStepProfile(*model.stepTimer()).c_str());
    }
  }
  std::fflush(stdout);
  return r;
}

} // namespace cardinal::rt
