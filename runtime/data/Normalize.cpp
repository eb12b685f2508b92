//===- Normalize.cpp - per-channel standardization of a dataset
//------------===//

#include "runtime/data/Normalize.h"

#include <cmath>
#include <stdexcept>

namespace cardinal::rt {

void computeChannelStats(const Dataset &d, std::vector<float> &mean,
                         std::vector<float> &stddev) {
  const int64_t c = d.channels, plane = d.height * d.width, n = d.size();
  mean.assign(c, 0.0f);
  stddev.assign(c, 1.0f);
  if (n == 0 || plane == 0)
    return;
  for (int64_t ch = 0; ch < c; ++ch) {
    // Two passes: the one-pass formula loses precision on large sets.
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float *p = d.images.data() + (i * c + ch) * plane;
      for (int64_t k = 0; k < plane; ++k)
        sum += p[k];
    }
    const double count = static_cast<double>(n * plane), mu = sum / count;
    double sq = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float *p = d.images.data() + (i * c + ch) * plane;
      for (int64_t k = 0; k < plane; ++k)
        sq += (p[k] - mu) * (p[k] - mu);
    }
    const double sd = std::sqrt(sq / count);
    mean[ch] = static_cast<float>(mu);
    stddev[ch] = sd > 1e-12 ? static_cast<float>(sd) : 1.0f;
  }
}

void applyNormalization(Dataset &d, const std::vector<float> &mean,
                        const std::vector<float> &stddev) {
  const int64_t c = d.channels, plane = d.height * d.width, n = d.size();
  if (static_cast<int64_t>(mean.size()) != c ||
      static_cast<int64_t>(stddev.size()) != c)
    throw std::runtime_error("applyNormalization: expected " +
                             std::to_string(c) + " channel statistics");
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      float *p = d.images.data() + (i * c + ch) * plane;
      const float mu = mean[ch], inv = 1.0f / stddev[ch];
      for (int64_t k = 0; k < plane; ++k)
        p[k] = (p[k] - mu) * inv;
    }
  d.mean = mean;
  d.stddev = stddev;
}

void normalizeByTrain(DataSplit &split) {
  std::vector<float> mean, stddev;
  computeChannelStats(split.train, mean, stddev);
  applyNormalization(split.train, mean, stddev);
  applyNormalization(split.test, mean, stddev);
}

} // namespace cardinal::rt
