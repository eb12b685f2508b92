//===- GradientAllReduce.h - bucketed gradient averaging -------------------===//
//
// Data parallelism's one collective per step: every gradient, summed over
// the ranks and divided by their number, in place. Small gradients are
// packed into buckets of about `bucketBytes` (4 MiB by default) so a step
// costs a few large all-reduces instead of one per tensor; a gradient at
// least a bucket long is reduced in place, without a copy. Bucket i always
// holds the same tensors, in order, on every rank.
//
// The generated trainStep calls its gradient hook after the whole backward
// pass, so buckets are reduced after backward (not overlapped with it); see
// the note in runtime/trainer/Parallel.h.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_COMM_GRADIENTALLREDUCE_H
#define CARDINAL_RUNTIME_COMM_GRADIENTALLREDUCE_H

#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <vector>

namespace cardinal::rt {

struct GradientSpan {
  float *data = nullptr;
  int64_t size = 0;
};

class GradientAllReducer {
public:
  static constexpr int64_t kDefaultBucketBytes = int64_t(4) << 20;

  explicit GradientAllReducer(Communicator &comm,
                              int64_t bucketBytes = kDefaultBucketBytes);

  /// grads[i][j] = (sum over ranks of grads[i][j]) / size(). Every rank
  /// passes the same sizes in the same order.
  void averageInPlace(const std::vector<GradientSpan> &grads);

  /// All-reduce calls made by the last averageInPlace.
  int64_t lastCalls() const { return lastCalls_; }

private:
  Communicator &comm_;
  int64_t bucketFloats_;
  std::vector<float> bucket_;
  int64_t lastCalls_ = 0;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_COMM_GRADIENTALLREDUCE_H
