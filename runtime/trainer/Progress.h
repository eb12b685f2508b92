//===- Progress.h - what a training run shows while it runs ----------------===//
//
// On a terminal, one line redrawn in place (\r) during the epoch; in a log
// file or pipe, no redraws: one line per finished epoch.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_PROGRESS_H
#define CARDINAL_RUNTIME_TRAINER_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cardinal::rt {

/// "0.4s", "45s", "3m05s", "2h07m".
std::string formatDuration(double seconds);

class Progress {
public:
  /// `tty`: redraw a live line (callers pass isatty(fileno(out))). `quiet`:
  /// print nothing at all.
  Progress(FILE *out, bool tty, bool quiet);

  /// Epoch `epoch` (1-based) of `epochs` begins; it has `batches` steps.
  void startEpoch(int64_t epoch, int64_t epochs, int64_t batches);
  /// After step `done` (1-based) of the epoch: running mean loss, running
  /// accuracy in percent and images per second. Redraws at most 10×/s.
  void step(int64_t done, double loss, double accPercent, double imagesPerSec);
  /// Ends the epoch with its summary line (replacing the live line).
  void endEpoch(const std::string &summary);

private:
  using Clock = std::chrono::steady_clock;
  FILE *out_;
  bool tty_, quiet_;
  int64_t epoch_ = 0, epochs_ = 0, batches_ = 0;
  Clock::time_point epochStart_, lastDraw_;
  bool drewLine_ = false;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_PROGRESS_H
