//===- GradientAllReduce.h - bucketed gradient averaging -------------------===//
//
// Data parallelism's one collective per step: every gradient, summed over
// the ranks and divided by their number, in place. Small gradients are
// packed into buckets of about `bucketBytes` (4 MiB by default) so a step
// costs a few large all-reduces instead of one per tensor; a gradient at
// least a bucket long is reduced in place, without a copy. Bucket i always
// holds the same tensors, in order, on every rank.
//
// Overlapped mode: the generated trainStep reports each gradient as soon as
// backward has finished writing it (gradientReady, in a fixed order); a
// bucket's non-blocking all-reduce starts once it is full, pending ones are
// tested (MPI progresses only inside MPI calls) at every later readiness,
// and finishStep waits for the rest before the SGD update.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_COMM_GRADIENTALLREDUCE_H
#define CARDINAL_RUNTIME_COMM_GRADIENTALLREDUCE_H

#include "runtime/comm/Communicator.h"
#include "runtime/comm/GradientBuckets.h"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace cardinal::rt {

class GradientAllReducer {
public:
  static constexpr int64_t kDefaultBucketBytes = int64_t(4) << 20;

  explicit GradientAllReducer(Communicator &comm,
                              int64_t bucketBytes = kDefaultBucketBytes);

  /// grads[i][j] = (sum over ranks of grads[i][j]) / size(). Every rank
  /// passes the same sizes in the same order.
  void averageInPlace(const std::vector<GradientSpan> &grads);

  /// All-reduce calls made by the last averageInPlace or overlapped step.
  int64_t lastCalls() const { return lastCalls_; }

  /// Overlapped mode, per step: gradientReady for every gradient (the same
  /// order on every rank), then finishStep, which leaves every gradient
  /// averaged in place. Returns the gradients seen this step.
  void gradientReady(const GradientSpan &g);
  int64_t finishStep();

private:
  struct Bucket {
    std::vector<float> staging; // packed copies; empty for an in-place one
    std::vector<GradientSpan> spans;
    std::unique_ptr<Communicator::Pending> pending;
  };
  /// `group` as a bucket: packed into staging unless it went alone.
  Bucket makeBucket(std::vector<GradientSpan> group) const;
  /// The bucket's floats to reduce (staging, or the one gradient).
  static std::pair<float *, int64_t> reduced(Bucket &b);
  /// Every gradient of a reduced bucket = its sum / size().
  void unpack(const Bucket &b) const;
  /// Overlapped mode: starts `group`'s all-reduce (if any).
  void start(std::vector<GradientSpan> group);

  Communicator &comm_;
  BucketFill fill_;
  std::vector<Bucket> inFlight_;
  int64_t readyThisStep_ = 0;
  int64_t lastCalls_ = 0;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_COMM_GRADIENTALLREDUCE_H
