//===- StepGraphPolicy.h - when a training step is run, captured, replayed -===//
//
// The decisions of StepGraph.h, apart from CUDA so they are tested on the
// host (tests/cuda/StepGraphPolicyTest.cpp): the first `warmupSteps` steps
// run eagerly; then each input slot's step is captured once and replayed
// while what a capture bakes in (StepGraphKey) stays the same, captured
// again when it changes; steps that synchronize midway always run eagerly;
// a failed capture turns capturing off for good.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_STEPGRAPHPOLICY_H
#define CARDINAL_RUNTIME_CUDA_STEPGRAPHPOLICY_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace cardinal::rt::cuda {

/// What a captured step bakes in besides device memory contents: the
/// hyper-parameters (kernel arguments) and the library's buffers.
struct StepGraphKey {
  float lr = 0, momentum = 0, weightDecay = 0;
  const void *workspace = nullptr, *normalized = nullptr;
  size_t normalizedBytes = 0;
  bool operator==(const StepGraphKey &o) const {
    return std::memcmp(&lr, &o.lr, sizeof lr) == 0 &&
           std::memcmp(&momentum, &o.momentum, sizeof momentum) == 0 &&
           std::memcmp(&weightDecay, &o.weightDecay, sizeof weightDecay) ==
               0 &&
           workspace == o.workspace && normalized == o.normalized &&
           normalizedBytes == o.normalizedBytes;
  }
};

enum class StepAction { Eager, Capture, Replay };

class StepGraphPolicy {
public:
  explicit StepGraphPolicy(int warmupSteps = 2, int slots = 2)
      : warmup_(warmupSteps), slots_(static_cast<size_t>(slots)) {}

  /// This step's action. `enabled`: graphs were asked for; `eager`: the
  /// step synchronizes midway. Capture means: capture, then report
  /// captured() or failed(), then replay.
  StepAction next(bool enabled, bool eager, int slot,
                  const StepGraphKey &key) {
    if (!enabled || off_ || eager || steps_++ < warmup_ || slot < 0 ||
        static_cast<size_t>(slot) >= slots_.size())
      return StepAction::Eager;
    const Slot &s = slots_[static_cast<size_t>(slot)];
    if (s.captured && s.key == key) {
      ++replays_;
      return StepAction::Replay;
    }
    return StepAction::Capture;
  }
  void captured(int slot, const StepGraphKey &key) {
    slots_[static_cast<size_t>(slot)] = {true, key};
    ++captures_;
    ++replays_; // the capture is replayed at once
  }
  void failed() { off_ = true; }
  /// Forgets every capture (the graphs were destroyed).
  void reset() {
    for (Slot &s : slots_)
      s = Slot{};
  }

  int64_t steps() const { return steps_; }
  int64_t captures() const { return captures_; }
  int64_t replays() const { return replays_; }

private:
  struct Slot {
    bool captured = false;
    StepGraphKey key;
  };
  int warmup_;
  std::vector<Slot> slots_;
  bool off_ = false;
  int64_t steps_ = 0, captures_ = 0, replays_ = 0;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_STEPGRAPHPOLICY_H
