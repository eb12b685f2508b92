// predict_harness.cpp - times CompiledModel::predict() of a generated model
// (`cardinal build MODEL --emit=cpp`), linked instead of the trainer's main.
//
//   harness THREADS ITERS REPEATS [LOGITS_OUT]
//
// Weights: uniform in [-0.05, 0.05) (deterministic), BN scale 1, shift 0,
// running mean 0, running var 1 — values do not change the time. Prints one
// line per repeat: "ms_per_predict X"; optionally writes the logits of one
// predict on a fixed image batch (raw float32) for a fused/unfused compare.
#include "runtime/kernels/Threads.h"
#include "runtime/trainer/CompiledModel.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace cardinal::rt;

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s THREADS ITERS REPEATS [LOGITS_OUT]\n", argv[0]);
    return 2;
  }
  setNumThreads(std::atoi(argv[1]));
  const int iters = std::atoi(argv[2]), repeats = std::atoi(argv[3]);
  auto model = createCompiledModel();
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) * 0x1.0p-53;
  };
  for (NamedTensor &t : model->tensors()) {
    const bool ones = t.init == "ones";
    for (int64_t i = 0; i < t.size(); ++i)
      t.data[i] = t.init == "zeros" ? 0.f
                  : ones ? float(0.75 + 0.5 * next())
                         : float(0.1 * next() - 0.05);
  }
  const int64_t n = model->batch() * model->channels() * model->height() *
                    model->width();
  std::vector<float> images(n), logits(model->batch() * model->classes());
  for (auto &v : images)
    v = float(2 * next() - 1);
  model->predict(images.data(), logits.data()); // warm-up
  if (argc > 4) {
    FILE *f = std::fopen(argv[4], "wb");
    std::fwrite(logits.data(), sizeof(float), logits.size(), f);
    std::fclose(f);
  }
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i)
      model->predict(images.data(), logits.data());
    auto t1 = std::chrono::steady_clock::now();
    std::printf("ms_per_predict %.3f\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count() / iters);
  }
  return 0;
}
