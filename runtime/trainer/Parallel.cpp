//===- Parallel.cpp - data-parallel training over a Communicator -----------===//

#include "runtime/trainer/Parallel.h"

#include "runtime/kernels/BatchNorm.h"

#include <chrono>
#include <stdexcept>
#include <string>

namespace cardinal::rt {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

} // namespace

DataParallel::DataParallel(Communicator &comm, CompiledModel &model,
                           bool syncBn)
    : comm_(comm), model_(model), syncBn_(syncBn && comm.size() > 1),
      reducer_(comm) {
  if (comm_.size() == 1)
    return; // one process: no hook, the step is exactly the local one
  device_ = model_.attachDataParallel(comm_, syncBn_);
  deviceBase_ = model_.deviceCommTime();
  if (syncBn_ && !device_.syncBn)
    setBatchNormReduce(&DataParallel::reduceBn, this);
  if (device_.gradients)
    return;
  // Buckets start during backward as gradients become final; the hook
  // before the update only waits for the rest (or, for a model that does
  // not report readiness, reduces everything then).
  model_.setGradientReadyHook([this](int64_t, NamedTensor &g) {
    const Clock::time_point start = Clock::now();
    reducer_.gradientReady({g.data, g.size()});
    gradientSeconds_ += secondsSince(start);
  });
  model_.setGradientHook([this](std::vector<NamedTensor> &grads) {
    const Clock::time_point start = Clock::now();
    const int64_t reported = reducer_.finishStep();
    if (reported == 0) {
      spans_.clear();
      for (NamedTensor &g : grads)
        spans_.push_back({g.data, g.size()});
      reducer_.averageInPlace(spans_);
    } else if (reported != static_cast<int64_t>(grads.size())) {
      throw std::runtime_error(
          "data parallel: the model reported " + std::to_string(reported) +
          " of its " + std::to_string(grads.size()) +
          " gradients as ready; rebuild the trainer with a current cardinal");
    }
    gradientSeconds_ += secondsSince(start);
    ++hookCalls_;
  });
}

DataParallel::~DataParallel() {
  if (comm_.size() == 1)
    return;
  model_.setGradientHook(nullptr);
  model_.setGradientReadyHook(nullptr);
  if (syncBn_ && !device_.syncBn)
    setBatchNormReduce(nullptr, nullptr);
  model_.detachDataParallel();
}

void DataParallel::reduceBn(double *data, int64_t n, void *self) {
  auto *dp = static_cast<DataParallel *>(self);
  const Clock::time_point start = Clock::now();
  dp->comm_.allReduceSum(data, n);
  dp->bnSeconds_ += secondsSince(start);
}

void DataParallel::broadcastTensors(unsigned kinds) {
  if (comm_.size() == 1)
    return;
  model_.syncTensorsToHost();
  for (NamedTensor &t : model_.tensors())
    if (kinds & bit(t.kind))
      comm_.broadcast(t.data, t.size() * static_cast<int64_t>(sizeof(float)),
                      0);
  model_.tensorsWritten();
}

uint64_t DataParallel::tensorHash() {
  // 64-bit FNV-1a over 8-byte words (then the tail): fast enough to run over
  // every tensor once per epoch.
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](uint64_t w) {
    h ^= w;
    h *= 0x100000001b3ull;
    h ^= h >> 29;
  };
  model_.syncTensorsToHost();
  for (const NamedTensor &t : model_.tensors()) {
    const char *p = reinterpret_cast<const char *>(t.data);
    const size_t bytes = static_cast<size_t>(t.size()) * sizeof(float);
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      mix(w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, p + i, bytes - i);
    mix(tail ^ bytes);
  }
  return h;
}

int64_t DataParallel::checkReplicas() {
  if (comm_.size() == 1)
    return 0;
  const uint64_t mine = tensorHash();
  uint64_t leader = mine;
  comm_.broadcast(&leader, sizeof leader, 0);
  int64_t differ = mine != leader ? 1 : 0;
  comm_.allReduceSum(&differ, 1);
  if (differ > 0)
    broadcastTensors();
  return differ;
}

void broadcastString(Communicator &comm, std::string &bytes, int root) {
  if (comm.size() == 1)
    return;
  uint64_t n = bytes.size();
  comm.broadcast(&n, sizeof n, root);
  bytes.resize(n);
  comm.broadcast(bytes.data(), static_cast<int64_t>(n), root);
}

} // namespace cardinal::rt
