//===- Synthetic.h - random but learnable data for benchmarks
//--------------===//
//
// Benchmarks need any image size and class count without a download, and a
// smoke test needs the loss to go down: so each class has its own mean image.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_SYNTHETIC_H
#define CARDINAL_RUNTIME_DATA_SYNTHETIC_H

#include "runtime/data/Dataset.h"

#include <cstdint>

namespace cardinal::rt {

/// `n` train samples and ceil(n/5) test samples of shape c×h×w. Class k has a
/// prototype image P_k with N(0,1) pixels; a sample of class k is P_k plus
/// uniform noise of variance 1, so it is learnable (even linearly) yet not
/// trivial. Labels
/// cycle 0,1,..,classes-1 (balanced). All draws come from Random(seed); the
/// result is then normalized by the train split's per-channel statistics.
/// Throws std::runtime_error on non-positive sizes or more than 2^31 floats
/// per split.
DataSplit makeSynthetic(int64_t n, int64_t c, int64_t h, int64_t w,
                        int64_t classes, uint64_t seed);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_SYNTHETIC_H
