//===- ImageStream.h - JPEG files decoded on a thread pool into batches ----===//
//
// ImageFolderStream is a BatchSource over a list of JPEG files. N decode
// threads work ahead of the consumer through a ring of K·batch sample slots
// (K batches of prefetch); next() copies finished samples out in order.
//
// Determinism: an epoch is a fixed sequence of positions (the shuffled,
// sharded order, as Batcher's), and what a position yields — its pixels,
// or failure — depends only on (seed, epoch, dataset index). Threads only
// decide *when* a position is decoded, never what it holds or where it
// goes, so batches are identical for any thread count.
//
// Unreadable files (missing, truncated, not a JPEG, ...) are skipped with
// one warning naming the file (once per file per stream), and the batch is
// filled with the next position's sample. With dropLast the positions wrap
// around this rank's slice, so every batch stays full and batchesPerEpoch()
// holds (a skipped file's slot goes to the slice's next sample); without
// it the last batch is short by the number skipped. If every file of the
// slice is unreadable, next() throws.
//
// Memory: K·batch·3·S·S floats of slots (2·256 at S = 224: 308 MB).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_IMAGESTREAM_H
#define CARDINAL_RUNTIME_DATA_IMAGESTREAM_H

#include "runtime/data/BatchSource.h"
#include "runtime/data/ImageFolder.h"
#include "runtime/data/ImageTransform.h"
#include "runtime/data/Jpeg.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cardinal::rt {

struct ImageStreamOptions {
  int64_t batchSize = 1;
  bool shuffle = true;
  bool dropLast = false;
  uint64_t seed = 0;
  /// Sharding as BatcherOptions: contiguous slices of the shuffled order.
  int rank = 0, worldSize = 1;
  /// true: random-resized-crop + flip; false: resize + centre crop.
  bool train = true;
  int imageSize = 224;    ///< S: samples are 3×S×S
  int threads = 0;        ///< decode threads; 0: hardware threads
  int prefetchBatches = 2; ///< K
  bool scaledDecode = true; ///< decode at 1/2, 1/4, 1/8 when big enough
  RandomResizedCropParams crop;
  std::array<float, 3> mean = kImageNetMean, stddev = kImageNetStd;
};

/// Turns one file into one normalized sample; one per decode thread.
class SampleLoader {
public:
  explicit SampleLoader(const ImageStreamOptions &options);
  /// Reads and decodes `path`, crops as options.train says (random draws
  /// from Random(sampleSeed)) and writes 3×S×S floats. False with `error`
  /// on an unreadable or corrupt file.
  bool load(const std::string &path, uint64_t sampleSeed, float *out,
            std::string &error);
  /// The DCT scale denominator the last load() decoded at.
  int lastDenom() const { return lastDenom_; }

private:
  ImageStreamOptions opts_;
  JpegDecoder decoder_;
  std::vector<uint8_t> bytes_;
  RgbImage rgb_;
  int lastDenom_ = 1;
};

class ImageFolderStream final : public BatchSource {
public:
  /// Starts the decode threads and epoch 0's prefetch. Throws
  /// std::runtime_error on invalid options.
  ImageFolderStream(std::vector<ImageEntry> entries,
                    const ImageStreamOptions &options);
  ~ImageFolderStream() override;
  ImageFolderStream(const ImageFolderStream &) = delete;
  ImageFolderStream &operator=(const ImageFolderStream &) = delete;

  int64_t batchSize() const override;
  int64_t imageSize() const override;
  /// Discards prefetched work of another epoch (keeps it if it is this
  /// epoch's and nothing was consumed yet) and starts prefetching.
  void startEpoch(int64_t epoch) override;
  int64_t batchesPerEpoch() const override;
  int64_t samplesPerEpoch() const override;
  int64_t next(float *images, int32_t *labels) override;
  LoaderStats stats() const override;

  /// Dataset indices of this rank's slice this epoch, in visiting order.
  std::vector<int64_t> order() const;
  int threads() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The seed of sample `index`'s augmentation in `epoch`.
uint64_t imageSampleSeed(uint64_t seed, int64_t epoch, int64_t index);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_IMAGESTREAM_H
