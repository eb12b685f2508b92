//===- Init.cpp - fresh-run initialization of a model's tensors ------------===//

#include "runtime/trainer/Init.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cardinal::rt {

int64_t fanOut(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return 1;
  int64_t n = shape[0];
  for (size_t i = 2; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

int64_t fanIn(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return 1;
  if (shape.size() == 1)
    return shape[0];
  int64_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

namespace {

[[noreturn]] void fail(const NamedTensor &t, const std::string &problem) {
  throw std::runtime_error("initializing tensor '" + t.name + "': " + problem);
}

/// fan_in for linear_uniform: a bias borrows its layer's weight's.
int64_t linearFanIn(const NamedTensor &t,
                    const std::vector<NamedTensor> &all) {
  if (t.shape.size() != 1)
    return fanIn(t.shape);
  const std::string suffix = ".bias";
  if (t.name.size() > suffix.size() &&
      t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) ==
          0) {
    const std::string weight =
        t.name.substr(0, t.name.size() - suffix.size()) + ".weight";
    auto it = std::find_if(all.begin(), all.end(), [&](const NamedTensor &w) {
      return w.name == weight;
    });
    if (it == all.end())
      fail(t, "linear_uniform bias has no matching '" + weight + "'");
    return fanIn(it->shape);
  }
  return fanIn(t.shape);
}

} // namespace

void initializeTensors(std::vector<NamedTensor> &tensors, Random &rng) {
  for (NamedTensor &t : tensors) {
    const int64_t n = t.size();
    if (!t.data && n > 0)
      fail(t, "no buffer");
    if (t.kind == NamedTensor::Kind::Velocity || t.init == "zeros") {
      std::fill(t.data, t.data + n, 0.0f);
    } else if (t.init == "ones") {
      std::fill(t.data, t.data + n, 1.0f);
    } else if (t.init == "he_normal") {
      const double stddev =
          std::sqrt(2.0 / static_cast<double>(std::max<int64_t>(1, fanOut(t.shape))));
      for (int64_t i = 0; i < n; ++i)
        t.data[i] = static_cast<float>(stddev * rng.normal());
    } else if (t.init == "linear_uniform") {
      const double bound =
          1.0 / std::sqrt(static_cast<double>(
                    std::max<int64_t>(1, linearFanIn(t, tensors))));
      for (int64_t i = 0; i < n; ++i)
        t.data[i] = static_cast<float>(bound * (2.0 * rng.uniform() - 1.0));
    } else {
      fail(t, "unknown init '" + t.init +
                  "' (expected he_normal, linear_uniform, ones or zeros)");
    }
  }
}

RandomBatch randomBatch(const CompiledModel &model, Random &rng) {
  RandomBatch b;
  b.images.resize(static_cast<size_t>(model.batch() * model.channels() *
                                      model.height() * model.width()));
  for (float &x : b.images)
    x = static_cast<float>(rng.normal());
  b.labels.resize(static_cast<size_t>(model.batch()));
  for (int64_t i = 0; i < model.batch(); ++i)
    b.labels[i] = static_cast<int32_t>(i % model.classes());
  return b;
}

} // namespace cardinal::rt
