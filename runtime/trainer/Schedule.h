//===- Schedule.h - the learning-rate schedule -----------------------------===//
//
// The schedule is a pure function of (base lr, epoch, total epochs), so a
// resumed run recomputes exactly the lr an uninterrupted one would use. The lr
// changes once per epoch (the paper's recipe is stated in epochs).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_SCHEDULE_H
#define CARDINAL_RUNTIME_TRAINER_SCHEDULE_H

#include <cstdint>
#include <string>
#include <vector>

namespace cardinal::rt {

struct LrSchedule {
  enum class Kind {
    Constant, ///< base lr throughout
    Step,     ///< ÷10 at each listed epoch ("step:E1,E2,...")
    Paper,    ///< ÷10 at ceil(50%) and ceil(75%) of the epochs (CIFAR: 150, 225 of 300)
    Cosine    ///< base · (1 + cos(π·e/E)) / 2, from base towards 0
  };
  Kind kind = Kind::Paper;
  std::vector<int64_t> milestones; ///< Step: ascending, >= 1
  /// Linear warmup: epoch e < warmup uses factor (e+1)/warmup on top of the
  /// schedule, so the last warmup epoch reaches the full rate.
  int64_t warmup = 0;

  /// The learning rate of 0-based epoch `epoch` of a run of `epochs` epochs.
  double lr(double base, int64_t epoch, int64_t epochs) const;
  /// The canonical spec, e.g. "step:30,60" (without the warmup).
  std::string spec() const;
};

/// Parses "constant", "step:E1,E2,...", "paper" or "cosine". Returns false
/// with `error` set on anything else.
bool parseSchedule(const std::string &spec, LrSchedule &out,
                   std::string &error);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_SCHEDULE_H
