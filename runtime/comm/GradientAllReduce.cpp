//===- GradientAllReduce.cpp - bucketed gradient averaging -----------------===//

#include "runtime/comm/GradientAllReduce.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cardinal::rt {

GradientAllReducer::GradientAllReducer(Communicator &comm, int64_t bucketBytes)
    : comm_(comm),
      bucketFloats_(std::max<int64_t>(1, bucketBytes /
                                             static_cast<int64_t>(sizeof(float)))) {}

void GradientAllReducer::averageInPlace(const std::vector<GradientSpan> &grads) {
  lastCalls_ = 0;
  const int world = comm_.size();
  if (world == 1)
    return;
  const float denominator = static_cast<float>(world);
  auto divide = [denominator](float *p, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      p[i] /= denominator;
  };
  // Pending small gradients, packed into bucket_ in order.
  std::vector<GradientSpan> packed;
  int64_t fill = 0;
  auto flush = [&] {
    if (packed.empty())
      return;
    comm_.allReduceSum(bucket_.data(), fill);
    ++lastCalls_;
    int64_t at = 0;
    for (const GradientSpan &g : packed) {
      const float *src = bucket_.data() + at;
      for (int64_t i = 0; i < g.size; ++i)
        g.data[i] = src[i] / denominator;
      at += g.size;
    }
    packed.clear();
    fill = 0;
  };
  for (const GradientSpan &g : grads) {
    if (g.size < 0 || (g.size > 0 && !g.data))
      throw std::runtime_error("gradient all-reduce: a null or negative span");
    if (g.size == 0)
      continue;
    if (g.size >= bucketFloats_) { // big: reduce where it lies
      comm_.allReduceSum(g.data, g.size);
      ++lastCalls_;
      divide(g.data, g.size);
      continue;
    }
    if (fill + g.size > bucketFloats_)
      flush();
    if (bucket_.size() < static_cast<size_t>(bucketFloats_))
      bucket_.resize(bucketFloats_);
    std::memcpy(bucket_.data() + fill, g.data, g.size * sizeof(float));
    fill += g.size;
    packed.push_back(g);
  }
  flush();
}

void GradientAllReducer::startBucket(Bucket &b) {
  float *data = b.staging.empty() ? b.spans.front().data : b.staging.data();
  int64_t n = b.staging.empty() ? b.spans.front().size
                                : static_cast<int64_t>(b.staging.size());
  b.pending = comm_.startAllReduceSum(data, n);
  ++lastCalls_;
}

void GradientAllReducer::gradientReady(const GradientSpan &g) {
  if (readyThisStep_++ == 0)
    lastCalls_ = 0;
  if (comm_.size() == 1 || g.size == 0)
    return;
  if (g.size < 0 || !g.data)
    throw std::runtime_error("gradient all-reduce: a null or negative span");
  for (Bucket &b : inFlight_) // drive progress of what is in flight
    b.pending->test();
  if (g.size >= bucketFloats_) { // big: reduce where it lies
    Bucket big;
    big.spans.push_back(g);
    startBucket(big);
    inFlight_.push_back(std::move(big));
    return;
  }
  if (fillFloats_ + g.size > bucketFloats_) {
    startBucket(filling_);
    inFlight_.push_back(std::move(filling_));
    filling_ = Bucket();
    fillFloats_ = 0;
  }
  filling_.staging.insert(filling_.staging.end(), g.data, g.data + g.size);
  filling_.spans.push_back(g);
  fillFloats_ += g.size;
}

int64_t GradientAllReducer::finishStep() {
  int64_t seen = readyThisStep_;
  readyThisStep_ = 0;
  if (!filling_.spans.empty()) {
    startBucket(filling_);
    inFlight_.push_back(std::move(filling_));
  }
  filling_ = Bucket();
  fillFloats_ = 0;
  const float denominator = static_cast<float>(comm_.size());
  for (Bucket &b : inFlight_) {
    b.pending->wait();
    if (b.staging.empty()) {
      const GradientSpan &g = b.spans.front();
      for (int64_t i = 0; i < g.size; ++i)
        g.data[i] /= denominator;
      continue;
    }
    int64_t at = 0;
    for (const GradientSpan &g : b.spans) {
      for (int64_t i = 0; i < g.size; ++i)
        g.data[i] = b.staging[at + i] / denominator;
      at += g.size;
    }
  }
  inFlight_.clear();
  return seen;
}

} // namespace cardinal::rt
