// fold_cache_main.cpp - linked with a generated model (`cardinal build
// --emit=cpp`, default fusion): predict() folds BN into the conv weights once
// and caches them, so every way of changing the weights must invalidate the
// cache. After each change, predict() must equal a fresh model's (which has
// never folded) given the same tensors, and differ from before the change:
//   1. a write through tensors(),
//   2. a write through a kept pointer, announced with tensorsWritten(),
//   3. trainStep() (SGD update and BN running statistics).
#include "runtime/kernels/Threads.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace cardinal::rt;

namespace {

uint64_t state = 7;
float next() {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return float((double)(state >> 11) * 0x1.0p-53);
}

std::vector<float> predict(CompiledModel &m, const std::vector<float> &images) {
  std::vector<float> logits(m.batch() * m.classes());
  m.predict(images.data(), logits.data());
  return logits;
}

/// predict() of a model that has never folded, with m's tensors.
std::vector<float> fresh(CompiledModel &m, const std::vector<float> &images) {
  auto f = createCompiledModel();
  auto &src = m.tensors();
  auto &dst = f->tensors();
  for (size_t i = 0; i < src.size(); ++i)
    std::memcpy(dst[i].data, src[i].data, sizeof(float) * src[i].size());
  return predict(*f, images);
}

int check(const char *what, const std::vector<float> &before,
          const std::vector<float> &after, const std::vector<float> &ref) {
  if (after != ref) {
    std::printf("FAIL %s: predict() differs from a fresh model's\n", what);
    return 1;
  }
  if (after == before) {
    std::printf("FAIL %s: the change did not change predict()\n", what);
    return 1;
  }
  std::printf("ok %s\n", what);
  return 0;
}

} // namespace

int main() {
  setNumThreads(1);
  auto m = createCompiledModel();
  for (NamedTensor &t : m->tensors())
    for (int64_t i = 0; i < t.size(); ++i)
      t.data[i] = t.init == "zeros"  ? 0.f
                  : t.init == "ones" ? 0.75f + 0.5f * next()
                                     : 0.2f * next() - 0.1f;
  std::vector<float> images(m->batch() * m->channels() * m->height() *
                            m->width());
  for (float &v : images)
    v = 2 * next() - 1;
  std::vector<int32_t> labels(m->batch());
  for (int64_t i = 0; i < m->batch(); ++i)
    labels[i] = int32_t(i % m->classes());
  int failures = 0;

  std::vector<float> y0 = predict(*m, images); // folds and caches
  // 1. BN scales and a conv weight, written through tensors().
  for (NamedTensor &t : m->tensors())
    if (t.name.find("scale") != std::string::npos ||
        t.name == "stem.conv.weight")
      for (int64_t i = 0; i < t.size(); ++i)
        t.data[i] *= 1.5f;
  std::vector<float> y1 = predict(*m, images);
  failures += check("write through tensors()", y0, y1, fresh(*m, images));

  // 2. A kept pointer (as the runtime's loaders hold), then tensorsWritten().
  float *var = nullptr;
  int64_t n = 0;
  for (NamedTensor &t : m->tensors())
    if (t.name.find("running_var") != std::string::npos && !var)
      var = t.data, n = t.size();
  predict(*m, images); // the cache is valid again
  for (int64_t i = 0; i < n; ++i)
    var[i] *= 3.f;
  m->tensorsWritten();
  std::vector<float> y2 = predict(*m, images);
  failures += check("write, then tensorsWritten()", y1, y2, fresh(*m, images));

  // 3. A training step updates weights and running statistics.
  predict(*m, images);
  m->trainStep(images.data(), labels.data(), m->defaultHyper());
  std::vector<float> y3 = predict(*m, images);
  failures += check("trainStep()", y2, y3, fresh(*m, images));
  return failures ? 1 : 0;
}
