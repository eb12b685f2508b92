//===- step_dump_main.cpp - one training step of a generated model, dumped -===//
//
// Linked with a `cardinal build --emit=cpp` file (which defines
// createCompiledModel()), like tests/e2e/oracle_main.cpp:
//
//   step-dump SEED OUT.txt
//
// Initializes every tensor from SEED (runtime/trainer/Init.h), draws one
// batch (images N(0,1), labels uniform) from SEED + 1, runs ONE trainStep
// (lr 0.1, momentum 0.9, wd 5e-4) and writes, one tensor per line,
// "name count v0 v1 ..." (%.9g): "loss", "grad.<param>" (gradients() after
// the step) and "final.<tensor>" (every parameter, BN running statistic and
// momentum buffer after the update). compare_steps.py compares two dumps.
//
//===----------------------------------------------------------------------===//
#include "runtime/Random.h"
#include "runtime/trainer/CompiledModel.h"
#include "runtime/trainer/Init.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cardinal::rt;

namespace {
void dump(std::FILE *f, const std::string &name, const float *data,
          int64_t n) {
  std::fprintf(f, "%s %lld", name.c_str(), static_cast<long long>(n));
  for (int64_t i = 0; i < n; ++i)
    std::fprintf(f, " %.9g", data[i]);
  std::fprintf(f, "\n");
}
} // namespace

int main(int argc, char **argv) try {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SEED OUT.txt\n", argv[0]);
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[1], nullptr, 10);
  std::unique_ptr<CompiledModel> model = createCompiledModel();
  Random rng(seed);
  initializeTensors(model->tensors(), rng);
  model->tensorsWritten();
  const int64_t n = model->batch(),
                pixels = model->channels() * model->height() * model->width();
  Random data(seed + 1);
  std::vector<float> images(static_cast<size_t>(n * pixels));
  for (float &v : images)
    v = static_cast<float>(data.normal());
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (int32_t &l : labels)
    l = static_cast<int32_t>(data.uniform() * model->classes());
  StepHyper hyper{0.1f, 0.9f, 5e-4f};
  StepStats stats = model->trainStep(images.data(), labels.data(), hyper);
  std::FILE *f = std::fopen(argv[2], "w");
  if (!f)
    throw std::runtime_error(std::string("cannot write ") + argv[2]);
  const float loss = static_cast<float>(stats.loss);
  dump(f, "loss", &loss, 1);
  for (const NamedTensor &g : model->gradients())
    dump(f, "grad." + g.name, g.data, g.size());
  model->syncTensorsToHost();
  for (const NamedTensor &t : model->tensors())
    dump(f, "final." + t.name, t.data, t.size());
  std::fclose(f);
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "step-dump: %s\n", e.what());
  return 1;
}
