//===- StepTimer.h - time of each kernel call of a training step ----------===//
//
// `trainer bench --profile`: where a step's time goes, call by call. The
// generated trainStep marks call i just before running it (CPU) or
// enqueueing it (CUDA); the interval from one mark to the next, or to the
// end of the step, is call i's. A CPU model times intervals on the host
// clock (WallStepTimer); a CUDA model records an event per mark on its
// stream and reads the intervals back after the step
// (runtime/cuda/CudaStepTimer.h), so they are GPU time.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_STEPTIMER_H
#define CARDINAL_RUNTIME_TRAINER_STEPTIMER_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cardinal::rt {

/// One kernel call of the step: its kernel, the op it came from (location
/// or parameter name) and its time summed over the timed steps.
struct CallTime {
  std::string kernel, origin;
  double seconds = 0;
};

/// A generated step's call table entry (string literals).
struct CallName {
  const char *kernel, *origin;
};

class StepTimer {
public:
  explicit StepTimer(const std::vector<CallName> &calls) {
    for (const CallName &c : calls)
      calls_.push_back({c.kernel, c.origin, 0.0});
  }
  virtual ~StepTimer() = default;
  /// Call `call` of the step starts now (is enqueued next).
  virtual void mark(int call) = 0;
  /// The step's last call has run (been enqueued): closes the last interval
  /// and counts the step.
  virtual void endStep() = 0;

  const std::vector<CallTime> &calls() const { return calls_; }
  int64_t steps() const { return steps_; }

protected:
  std::vector<CallTime> calls_;
  int64_t steps_ = 0;
};

/// Host wall-clock intervals, for kernels that run synchronously. `now`
/// (seconds) is injectable for tests.
class WallStepTimer final : public StepTimer {
public:
  using Clock = std::function<double()>;
  explicit WallStepTimer(const std::vector<CallName> &calls,
                         Clock now = steadySeconds)
      : StepTimer(calls), now_(std::move(now)) {}

  void mark(int call) override {
    const double t = now_();
    close(t);
    open_ = call;
    since_ = t;
  }
  void endStep() override {
    close(now_());
    open_ = -1;
    ++steps_;
  }

  static double steadySeconds() {
    return std::chrono::duration<double>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

private:
  void close(double t) {
    if (open_ >= 0 && open_ < static_cast<int>(calls_.size()))
      calls_[open_].seconds += t - since_;
  }
  Clock now_;
  int open_ = -1;
  double since_ = 0;
};

/// The profile as text: per kernel (calls per step, ms per step, share of
/// the timed total), largest first, then the `top` slowest calls.
std::string formatStepProfile(const StepTimer &timer, int top = 15);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_STEPTIMER_H
