//===- Evaluate.cpp - test-set loss and top-1 / top-5 error ----------------===//

#include "runtime/trainer/Evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace cardinal::rt {

SampleScore scoreLogits(const float *logits, int64_t classes, int32_t label) {
  SampleScore s;
  const float mine = logits[label];
  double maxLogit = -std::numeric_limits<double>::infinity();
  bool finite = true;
  int64_t rank = 0; // classes that beat the label
  for (int64_t k = 0; k < classes; ++k) {
    const float v = logits[k];
    finite = finite && std::isfinite(v);
    maxLogit = std::max(maxLogit, static_cast<double>(v));
    if (v > mine || (v == mine && k < label))
      ++rank;
  }
  if (!finite) {
    s.loss = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  double sum = 0; // log-sum-exp, shifted by the max for stability
  for (int64_t k = 0; k < classes; ++k)
    sum += std::exp(static_cast<double>(logits[k]) - maxLogit);
  s.loss = std::log(sum) + maxLogit - static_cast<double>(mine);
  s.top1 = rank < 1;
  s.top5 = rank < std::min<int64_t>(5, classes);
  return s;
}

EvalResult evaluate(CompiledModel &model, const Dataset &data) {
  const int64_t batch = model.batch(), classes = model.classes();
  const int64_t imageSize = data.imageSize(), n = data.size();
  std::vector<float> images(batch * imageSize), logits(batch * classes);
  EvalResult r;
  double lossSum = 0;
  int64_t hits1 = 0, hits5 = 0;
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t count = std::min(batch, n - first);
    std::memcpy(images.data(), data.images.data() + first * imageSize,
                count * imageSize * sizeof(float));
    std::fill(images.begin() + count * imageSize, images.end(), 0.0f);
    model.predict(images.data(), logits.data());
    for (int64_t i = 0; i < count; ++i) {
      const SampleScore s =
          scoreLogits(logits.data() + i * classes, classes, data.labels[first + i]);
      lossSum += s.loss;
      hits1 += s.top1;
      hits5 += s.top5;
    }
  }
  r.samples = n;
  if (n > 0) {
    r.loss = lossSum / static_cast<double>(n);
    r.top1Err = 100.0 * static_cast<double>(n - hits1) / static_cast<double>(n);
    r.top5Err = 100.0 * static_cast<double>(n - hits5) / static_cast<double>(n);
  }
  return r;
}

} // namespace cardinal::rt
