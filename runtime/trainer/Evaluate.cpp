//===- Evaluate.cpp - test-set loss and top-1 / top-5 error ----------------===//

#include "runtime/trainer/Evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
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

EvalResult evalResult(const EvalSums &sums) {
  EvalResult r;
  const int64_t n = sums.samples;
  r.samples = n;
  if (n > 0) {
    r.loss = sums.loss / static_cast<double>(n);
    r.top1Err =
        100.0 * static_cast<double>(n - sums.top1) / static_cast<double>(n);
    r.top5Err =
        100.0 * static_cast<double>(n - sums.top5) / static_cast<double>(n);
  }
  return r;
}

EvalResult evaluate(CompiledModel &model, const Dataset &data) {
  BatcherOptions o;
  o.batchSize = model.batch();
  o.shuffle = false;
  // Not owned: `data` outlives the source.
  DatasetBatchSource source(
      std::shared_ptr<const Dataset>(std::shared_ptr<const Dataset>(), &data),
      o);
  return evalResult(evaluateSums(model, source));
}

EvalResult evaluateOnRanks(CompiledModel &model, BatchSource &data,
                           Communicator &comm) {
  EvalSums sums = evaluateSums(model, data);
  if (comm.size() > 1) {
    comm.allReduceSum(&sums.loss, 1);
    int64_t counts[3] = {sums.top1, sums.top5, sums.samples};
    comm.allReduceSum(counts, 3);
    sums.top1 = counts[0], sums.top5 = counts[1], sums.samples = counts[2];
  }
  return evalResult(sums);
}

EvalSums evaluateSums(CompiledModel &model, BatchSource &data) {
  const int64_t batch = model.batch(), classes = model.classes();
  const int64_t imageSize = model.channels() * model.height() * model.width();
  if (data.batchSize() != batch || data.imageSize() != imageSize)
    throw std::runtime_error(
        "evaluation data gives batches of " + std::to_string(data.batchSize()) +
        " samples of " + std::to_string(data.imageSize()) +
        " floats, but model '" + model.name() + "' takes batches of " +
        std::to_string(batch) + " samples of " + std::to_string(imageSize));
  std::vector<float> images(batch * imageSize), logits(batch * classes);
  std::vector<int32_t> labels(batch);
  data.startEpoch(0);
  EvalSums sums;
  for (;;) {
    const int64_t count = data.next(images.data(), labels.data());
    if (count <= 0)
      break;
    std::fill(images.begin() + count * imageSize, images.end(), 0.0f);
    model.predict(images.data(), logits.data());
    for (int64_t i = 0; i < count; ++i) {
      const SampleScore s =
          scoreLogits(logits.data() + i * classes, classes, labels[i]);
      sums.loss += s.loss;
      sums.top1 += s.top1;
      sums.top5 += s.top5;
    }
    sums.samples += count;
  }
  return sums;
}

} // namespace cardinal::rt
