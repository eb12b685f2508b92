//===- GradientBuckets.h - which gradients to all-reduce together, when ----===//
//
// Overlapping the gradient all-reduce with backward (as PyTorch DDP does):
// backward reports each gradient as it becomes final; once the reported
// ones fill a bucket of about `bucketFloats`, that bucket's all-reduce can
// start while backward goes on. This class only decides the grouping:
// buckets hold consecutive reports in report order, a gradient at least a
// bucket long goes alone, and finish() hands over the rest, including any
// gradient never reported (a model that did not report it still gets it
// averaged). Every rank reports the same gradients in the same order, so
// every rank forms the same buckets. BucketFill is the grouping rule, which
// the host's GradientAllReducer uses too. Plain C++ (no CUDA): the device
// side is runtime/cuda/DeviceParallel.h.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_COMM_GRADIENTBUCKETS_H
#define CARDINAL_RUNTIME_COMM_GRADIENTBUCKETS_H

#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cardinal::rt {

/// The grouping rule itself, as gradients come (the host's
/// GradientAllReducer and the device's GradientBuckets share it): a
/// gradient at least a bucket long goes alone, at once, while the open
/// bucket keeps filling; one that does not fit in the open bucket closes it
/// and opens the next.
class BucketFill {
public:
  explicit BucketFill(int64_t bucketFloats) : bucketFloats_(bucketFloats) {
    if (bucketFloats_ < 1)
      throw std::invalid_argument("gradient buckets: size must be positive");
  }

  /// `g` is final: the group to reduce now ({g} alone, or the bucket it
  /// closed), or none.
  std::vector<GradientSpan> add(const GradientSpan &g) {
    if (g.size >= bucketFloats_)
      return {g};
    std::vector<GradientSpan> closed;
    if (fill_ + g.size > bucketFloats_)
      closed = take();
    open_.push_back(g);
    fill_ += g.size;
    return closed;
  }
  /// The open bucket (maybe empty); the next add opens a new one.
  std::vector<GradientSpan> take() {
    std::vector<GradientSpan> out = std::move(open_);
    open_.clear();
    fill_ = 0;
    return out;
  }
  /// Whether `group` is one gradient that went alone (it can be reduced
  /// where it lies; a bucket of several is packed first).
  bool alone(const std::vector<GradientSpan> &group) const {
    return group.size() == 1 && group.front().size >= bucketFloats_;
  }

private:
  int64_t bucketFloats_;
  std::vector<GradientSpan> open_;
  int64_t fill_ = 0;
};

class GradientBuckets {
public:
  static constexpr int64_t kDefaultBucketFloats = int64_t(25) << 18; // 25 MiB

  GradientBuckets(std::vector<GradientSpan> gradients,
                  int64_t bucketFloats = kDefaultBucketFloats)
      : gradients_(std::move(gradients)), fill_(bucketFloats),
        started_(gradients_.size(), false) {}

  /// Gradient `index` is final. Returns the bucket to start now (empty:
  /// none yet). Reporting an index twice in a step, or one out of range,
  /// throws.
  std::vector<GradientSpan> ready(int64_t index) {
    if (index < 0 || index >= static_cast<int64_t>(gradients_.size()) ||
        started_[index])
      throw std::logic_error("gradient buckets: gradient " +
                             std::to_string(index) +
                             " reported twice or out of range");
    started_[index] = true;
    return fill_.add(gradients_[index]);
  }

  /// Backward is over: the open bucket plus every gradient not reported
  /// this step (in index order). Resets for the next step.
  std::vector<GradientSpan> finish() {
    std::vector<GradientSpan> out = fill_.take();
    for (size_t i = 0; i < gradients_.size(); ++i) {
      if (!started_[i])
        out.push_back(gradients_[i]);
      started_[i] = false;
    }
    return out;
  }

private:
  std::vector<GradientSpan> gradients_;
  BucketFill fill_;
  std::vector<bool> started_;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_COMM_GRADIENTBUCKETS_H
