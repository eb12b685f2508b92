//===- Batcher.h - mini-batches over a Dataset
//-----------------------------===//
//
// Shuffles per epoch, shards across data-parallel ranks and augments, writing
// into caller-owned buffers (the trainer's planned input buffers).
//
// Determinism: the order of epoch e depends only on (seed, e), and a sample's
// augmentation only on (seed, e, sample index). So resuming at an epoch (or,
// with seek, at a batch) reproduces the run, and all ranks agree on the order
// without communicating.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_BATCHER_H
#define CARDINAL_RUNTIME_DATA_BATCHER_H

#include "runtime/data/Dataset.h"

#include <cstdint>
#include <vector>

namespace cardinal::rt {

/// Training-time augmentation (CIFAR: pad 4 + random crop + flip). Padding
/// is with 0 in normalized units, i.e. the channel mean.
struct Augment {
  int pad = 0;       ///< zero-pad each side, then crop back at a random offset
  bool flip = false; ///< mirror horizontally with probability 1/2
};

struct BatcherOptions {
  int64_t batchSize = 1;
  bool shuffle = true;   ///< false: dataset order (evaluation)
  bool dropLast = false; ///< drop a final partial batch
  uint64_t seed = 0;
  Augment augment;
  /// Data parallelism: the shuffled order (the same on every rank) is cut in
  /// worldSize contiguous disjoint slices; this rank iterates slice `rank`.
  /// Without dropLast the slices cover all N samples (sizes differ by <= 1);
  /// with dropLast each rank gets exactly floor(N / worldSize) samples and
  /// only full batches, so every rank runs the same number of steps.
  int rank = 0, worldSize = 1;
};

/// Crops the image padded by `pad` at offset (dy, dx) in [0, 2*pad], then
/// mirrors the crop horizontally if `flip`. `src` and `dst` are c×h×w and
/// must not overlap. out(y, x) = in(y + dy - pad, x' + dx - pad) with
/// x' = flip ? w-1-x : x, or 0 outside the image.
void augmentImage(const float *src, float *dst, int64_t c, int64_t h, int64_t w,
                  int pad, int dy, int dx, bool flip);

class Batcher {
public:
  /// Keeps a reference to `data`, which must outlive the Batcher. Starts at
  /// epoch 0. Throws std::runtime_error on invalid options.
  Batcher(const Dataset &data, const BatcherOptions &options);

  /// Begins epoch `epoch` at its first batch.
  void startEpoch(int64_t epoch);
  /// Jumps to batch `batch` of the current epoch (mid-epoch resume).
  void seek(int64_t batch);
  /// Writes the next batch: images (batchSize×C×H×W floats) and labels
  /// (batchSize). Returns the number of samples written; 0 when the epoch is
  /// over. Only the last batch can be partial (never with dropLast).
  int64_t next(float *images, int32_t *labels);

  int64_t epoch() const { return epoch_; }
  int64_t batchIndex() const { return batch_; }
  int64_t batchesPerEpoch() const;
  /// Samples this rank visits per epoch.
  int64_t samplesPerEpoch() const {
    return static_cast<int64_t>(order_.size());
  }
  /// Dataset indices this rank visits this epoch, in order.
  const std::vector<int64_t> &order() const { return order_; }
  const BatcherOptions &options() const { return opts_; }

private:
  const Dataset &data_;
  BatcherOptions opts_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0, batch_ = 0;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_BATCHER_H
