//===- Batcher.cpp - mini-batches over a Dataset
//---------------------------===//

#include "runtime/data/Batcher.h"

#include "runtime/Random.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace cardinal::rt {
namespace {

// Distinct salts keep the shuffle and augmentation streams independent.
constexpr uint64_t kShuffleSalt = 0x53485546464c45ull; // "SHUFFLE"
constexpr uint64_t kAugmentSalt = 0x4155474d454e54ull; // "AUGMENT"

/// Hashes two words into a seed (SplitMix64 twice: well mixed, cheap).
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a;
  x = splitmix64(x) ^ b;
  return splitmix64(x);
}

} // namespace

void augmentImage(const float *src, float *dst, int64_t c, int64_t h, int64_t w,
                  int pad, int dy, int dx, bool flip) {
  for (int64_t ch = 0; ch < c; ++ch) {
    const float *in = src + ch * h * w;
    float *out = dst + ch * h * w;
    for (int64_t y = 0; y < h; ++y) {
      const int64_t sy = y + dy - pad;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = (flip ? w - 1 - x : x) + dx - pad;
        out[y * w + x] =
            (sy >= 0 && sy < h && sx >= 0 && sx < w) ? in[sy * w + sx] : 0.0f;
      }
    }
  }
}

Batcher::Batcher(const Dataset &data, const BatcherOptions &options)
    : data_(data), opts_(options) {
  if (opts_.batchSize < 1)
    throw std::runtime_error("Batcher: batch size must be >= 1, got " +
                             std::to_string(opts_.batchSize));
  if (opts_.worldSize < 1 || opts_.rank < 0 || opts_.rank >= opts_.worldSize)
    throw std::runtime_error("Batcher: rank " + std::to_string(opts_.rank) +
                             " is not in a world of size " +
                             std::to_string(opts_.worldSize));
  if (opts_.augment.pad < 0 || opts_.augment.pad > 1024)
    throw std::runtime_error("Batcher: augmentation pad " +
                             std::to_string(opts_.augment.pad) +
                             " out of range 0..1024");
  const uint64_t expected =
      static_cast<uint64_t>(data_.size()) * data_.imageSize();
  if (data_.images.size() != expected)
    throw std::runtime_error("Batcher: dataset has " +
                             std::to_string(data_.images.size()) +
                             " floats, expected " + std::to_string(expected));
  startEpoch(0);
}

void Batcher::startEpoch(int64_t epoch) {
  epoch_ = epoch;
  batch_ = 0;
  const int64_t n = data_.size();
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i)
    all[i] = i;
  if (opts_.shuffle) {
    Random rng(
        mix(mix(opts_.seed, kShuffleSalt), static_cast<uint64_t>(epoch)));
    for (int64_t i = n - 1; i > 0; --i)
      std::swap(all[i], all[rng.below(static_cast<uint64_t>(i) + 1)]);
  }
  const int64_t world = opts_.worldSize, r = opts_.rank;
  int64_t begin, end;
  if (opts_.dropLast) {
    const int64_t per = n / world;
    begin = r * per;
    end = begin + per / opts_.batchSize * opts_.batchSize;
  } else {
    begin = r * n / world; // balanced: slice sizes differ by at most one
    end = (r + 1) * n / world;
  }
  order_.assign(all.begin() + begin, all.begin() + end);
}

int64_t Batcher::batchesPerEpoch() const {
  return (samplesPerEpoch() + opts_.batchSize - 1) / opts_.batchSize;
}

void Batcher::seek(int64_t batch) {
  if (batch < 0 || batch > batchesPerEpoch())
    throw std::runtime_error("Batcher: batch " + std::to_string(batch) +
                             " out of range 0.." +
                             std::to_string(batchesPerEpoch()));
  batch_ = batch;
}

int64_t Batcher::next(float *images, int32_t *labels) {
  const int64_t first = batch_ * opts_.batchSize;
  const int64_t count =
      std::min<int64_t>(opts_.batchSize, samplesPerEpoch() - first);
  if (count <= 0)
    return 0;
  const int64_t size = data_.imageSize();
  const Augment &aug = opts_.augment;
  const uint64_t augSeed =
      mix(mix(opts_.seed, kAugmentSalt), static_cast<uint64_t>(epoch_));
  for (int64_t k = 0; k < count; ++k) {
    const int64_t idx = order_[first + k];
    const float *src = data_.images.data() + idx * size;
    float *dst = images + k * size;
    labels[k] = data_.labels[idx];
    if (aug.pad == 0 && !aug.flip) {
      std::memcpy(dst, src, size * sizeof(float));
      continue;
    }
    Random rng(mix(augSeed, static_cast<uint64_t>(idx)));
    const int dy = static_cast<int>(rng.below(2 * aug.pad + 1));
    const int dx = static_cast<int>(rng.below(2 * aug.pad + 1));
    const bool flip = aug.flip && rng.below(2) == 1;
    augmentImage(src, dst, data_.channels, data_.height, data_.width, aug.pad,
                 dy, dx, flip);
  }
  ++batch_;
  return count;
}

} // namespace cardinal::rt
