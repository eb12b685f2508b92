//===- GradientAllReduce.cpp - bucketed gradient averaging -----------------===//

#include "runtime/comm/GradientAllReduce.h"

#include <algorithm>
#include <stdexcept>

namespace cardinal::rt {

GradientAllReducer::GradientAllReducer(Communicator &comm, int64_t bucketBytes)
    : comm_(comm),
      fill_(std::max<int64_t>(1, bucketBytes /
                                     static_cast<int64_t>(sizeof(float)))) {}

namespace {
void requireSpan(const GradientSpan &g) {
  if (g.size < 0 || (g.size > 0 && !g.data))
    throw std::runtime_error("gradient all-reduce: a null or negative span");
}
} // namespace

GradientAllReducer::Bucket
GradientAllReducer::makeBucket(std::vector<GradientSpan> group) const {
  Bucket b;
  if (!fill_.alone(group))
    for (const GradientSpan &g : group)
      b.staging.insert(b.staging.end(), g.data, g.data + g.size);
  b.spans = std::move(group);
  return b;
}

std::pair<float *, int64_t> GradientAllReducer::reduced(Bucket &b) {
  if (b.staging.empty())
    return {b.spans.front().data, b.spans.front().size};
  return {b.staging.data(), static_cast<int64_t>(b.staging.size())};
}

void GradientAllReducer::unpack(const Bucket &b) const {
  const float denominator = static_cast<float>(comm_.size());
  if (b.staging.empty()) {
    const GradientSpan &g = b.spans.front();
    for (int64_t i = 0; i < g.size; ++i)
      g.data[i] /= denominator;
    return;
  }
  int64_t at = 0;
  for (const GradientSpan &g : b.spans) {
    for (int64_t i = 0; i < g.size; ++i)
      g.data[i] = b.staging[at + i] / denominator;
    at += g.size;
  }
}

void GradientAllReducer::averageInPlace(const std::vector<GradientSpan> &grads) {
  lastCalls_ = 0;
  if (comm_.size() == 1)
    return;
  auto reduceNow = [&](std::vector<GradientSpan> group) {
    if (group.empty())
      return;
    Bucket b = makeBucket(std::move(group));
    const auto [data, n] = reduced(b);
    comm_.allReduceSum(data, n);
    ++lastCalls_;
    unpack(b);
  };
  for (const GradientSpan &g : grads) {
    requireSpan(g);
    if (g.size > 0)
      reduceNow(fill_.add(g));
  }
  reduceNow(fill_.take());
}

void GradientAllReducer::start(std::vector<GradientSpan> group) {
  if (group.empty())
    return;
  Bucket b = makeBucket(std::move(group));
  const auto [data, n] = reduced(b);
  b.pending = comm_.startAllReduceSum(data, n);
  ++lastCalls_;
  inFlight_.push_back(std::move(b));
}

void GradientAllReducer::gradientReady(const GradientSpan &g) {
  if (readyThisStep_++ == 0)
    lastCalls_ = 0;
  if (comm_.size() == 1 || g.size == 0)
    return;
  requireSpan(g);
  for (Bucket &b : inFlight_) // drive progress of what is in flight
    b.pending->test();
  start(fill_.add(g));
}

int64_t GradientAllReducer::finishStep() {
  int64_t seen = readyThisStep_;
  readyThisStep_ = 0;
  start(fill_.take());
  for (Bucket &b : inFlight_) {
    b.pending->wait();
    unpack(b);
  }
  inFlight_.clear();
  return seen;
}

} // namespace cardinal::rt
