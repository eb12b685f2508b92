//===- Normalize.h - per-channel standardization of a dataset
//--------------===//
//
// Every source normalizes by its *train* split's statistics, applied to both
// splits, so no test information leaks into training.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_NORMALIZE_H
#define CARDINAL_RUNTIME_DATA_NORMALIZE_H

#include "runtime/data/Dataset.h"

#include <vector>

namespace cardinal::rt {

/// Per-channel mean and population standard deviation of `d.images`
/// (accumulated in double). A constant channel gets stddev 1.
void computeChannelStats(const Dataset &d, std::vector<float> &mean,
                         std::vector<float> &stddev);

/// x = (x - mean[c]) / stddev[c] in place; records mean/stddev in `d`.
void applyNormalization(Dataset &d, const std::vector<float> &mean,
                        const std::vector<float> &stddev);

/// Computes the statistics of `split.train` and applies them to both splits.
void normalizeByTrain(DataSplit &split);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_NORMALIZE_H
