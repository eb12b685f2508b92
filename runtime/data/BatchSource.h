//===- BatchSource.h - what the training loop and evaluation draw from -----===//
//
// One interface over in-memory datasets (a Batcher) and streamed image
// folders (ImageFolderStream), so the trainer's epoch loop and evaluation do
// not care where pixels come from. Contract, for every implementation:
//  - batches of epoch e depend only on (seed, e) and the options, never on
//    timing or thread count;
//  - next() writes up to batchSize samples (CHW floats, then labels) and
//    returns how many; 0 once the epoch is over. With dropLast every batch
//    of the epoch is full and there are exactly batchesPerEpoch() of them.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_BATCHSOURCE_H
#define CARDINAL_RUNTIME_DATA_BATCHSOURCE_H

#include "runtime/data/Batcher.h"
#include "runtime/data/Dataset.h"

#include <cstdint>
#include <memory>
#include <string>

namespace cardinal::rt {

/// Decoding work of one epoch (since the last startEpoch), for sources that
/// decode; all zero for in-memory ones.
struct LoaderStats {
  int64_t images = 0;     ///< decoded successfully
  int64_t failed = 0;     ///< unreadable or corrupt (skipped)
  double cpuSeconds = 0;  ///< decode threads' CPU time, summed
  double busySeconds = 0; ///< wall time during which any decode ran
  double waitSeconds = 0; ///< time next() blocked waiting for samples
  int threads = 0;

  /// Images per wall second while decoding ran.
  double imagesPerSecond() const {
    return busySeconds > 0 ? images / busySeconds : 0;
  }
  /// Images per CPU second: the cost of one image on one core.
  double imagesPerCoreSecond() const {
    return cpuSeconds > 0 ? images / cpuSeconds : 0;
  }
};

/// "loader 812 img/s (406 img/s/core, 2 threads, waited 0.3s)"; "" when
/// nothing was decoded.
std::string formatLoaderStats(const LoaderStats &s);

class BatchSource {
public:
  virtual ~BatchSource() = default;
  virtual int64_t batchSize() const = 0;
  /// Floats per sample: channels × height × width.
  virtual int64_t imageSize() const = 0;
  /// Begins epoch `epoch` (any order: resuming starts at a later one).
  virtual void startEpoch(int64_t epoch) = 0;
  virtual int64_t batchesPerEpoch() const = 0;
  /// Samples this rank is assigned per epoch.
  virtual int64_t samplesPerEpoch() const = 0;
  /// Writes the next batch; returns the number of samples, 0 at the end.
  virtual int64_t next(float *images, int32_t *labels) = 0;
  virtual LoaderStats stats() const { return {}; }
};

/// A Batcher over an in-memory Dataset (shuffle, shard, augment as its
/// options say). Shares ownership of the dataset.
class DatasetBatchSource final : public BatchSource {
public:
  DatasetBatchSource(std::shared_ptr<const Dataset> data,
                     const BatcherOptions &options);
  int64_t batchSize() const override { return batcher_.options().batchSize; }
  int64_t imageSize() const override { return data_->imageSize(); }
  void startEpoch(int64_t epoch) override { batcher_.startEpoch(epoch); }
  int64_t batchesPerEpoch() const override {
    return batcher_.batchesPerEpoch();
  }
  int64_t samplesPerEpoch() const override {
    return batcher_.samplesPerEpoch();
  }
  int64_t next(float *images, int32_t *labels) override {
    return batcher_.next(images, labels);
  }
  Batcher &batcher() { return batcher_; }

private:
  std::shared_ptr<const Dataset> data_;
  Batcher batcher_;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_BATCHSOURCE_H
