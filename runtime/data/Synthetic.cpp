//===- Synthetic.cpp - random but learnable data for benchmarks
//------------===//

#include "runtime/data/Synthetic.h"

#include "runtime/Random.h"
#include "runtime/data/Normalize.h"

#include <stdexcept>
#include <string>

namespace cardinal::rt {

static constexpr double kSqrt3 = 1.7320508075688772;

DataSplit makeSynthetic(int64_t n, int64_t c, int64_t h, int64_t w,
                        int64_t classes, uint64_t seed) {
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || classes <= 0 ||
      classes > (int64_t(1) << 31) - 1)
    throw std::runtime_error(
        "makeSynthetic: sizes must be positive (n=" + std::to_string(n) +
        " c=" + std::to_string(c) + " h=" + std::to_string(h) + " w=" +
        std::to_string(w) + " classes=" + std::to_string(classes) + ")");
  // Checked by division so the products below cannot overflow.
  const int64_t limit = int64_t(1) << 31;
  if (c > limit / h || c * h > limit / w || c * h * w > limit / n)
    throw std::runtime_error("makeSynthetic: " + std::to_string(n) + "x" +
                             std::to_string(c) + "x" + std::to_string(h) + "x" +
                             std::to_string(w) + " is too large");
  const int64_t size = c * h * w;
  Random rng(seed);
  std::vector<float> prototypes(classes * size);
  for (float &p : prototypes)
    p = static_cast<float>(rng.normal());

  DataSplit split;
  const int64_t counts[2] = {n, (n + 4) / 5};
  Dataset *parts[2] = {&split.train, &split.test};
  for (int s = 0; s < 2; ++s) {
    Dataset &d = *parts[s];
    d.channels = c;
    d.height = h;
    d.width = w;
    d.classes = classes;
    d.images.resize(counts[s] * size);
    d.labels.resize(counts[s]);
    for (int64_t i = 0; i < counts[s]; ++i) {
      const int64_t label = i % classes;
      d.labels[i] = static_cast<int32_t>(label);
      const float *proto = prototypes.data() + label * size;
      float *img = d.images.data() + i * size;
      // Uniform noise of variance 1: as learnable as Gaussian, and ~20x
      // cheaper than Box-Muller for CIFAR/ImageNet-sized benchmark sets.
      for (int64_t k = 0; k < size; ++k)
        img[k] =
            proto[k] + static_cast<float>((2 * rng.uniform() - 1) * kSqrt3);
    }
  }
  normalizeByTrain(split);
  return split;
}

} // namespace cardinal::rt
