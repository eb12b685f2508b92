//===- Dataset.h - an in-memory image classification dataset
//---------------===//
//
// What every data source produces and the Batcher consumes: images already
// decoded and normalized, so the training loop only copies floats.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_DATASET_H
#define CARDINAL_RUNTIME_DATA_DATASET_H

#include <cstdint>
#include <vector>

namespace cardinal::rt {

struct Dataset {
  int64_t channels = 0, height = 0, width = 0, classes = 0;
  /// N×C×H×W, row-major. Pixels are first scaled to [0, 1], then normalized
  /// per channel: (x - mean[c]) / stddev[c].
  std::vector<float> images;
  /// N labels, each in [0, classes).
  std::vector<int32_t> labels;
  /// The per-channel normalization that was applied (in [0, 1] pixel units),
  /// kept so exported models and tests can undo or reproduce it.
  std::vector<float> mean, stddev;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t imageSize() const { return channels * height * width; }
};

struct DataSplit {
  Dataset train, test;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_DATASET_H
