//===- Progress.cpp - what a training run shows while it runs --------------===//

#include "runtime/trainer/Progress.h"

#include <algorithm>
#include <cmath>

namespace cardinal::rt {

std::string formatDuration(double seconds) {
  seconds = std::max(0.0, seconds);
  const long long s = std::llround(seconds);
  char buf[48];
  if (seconds < 9.95) // short epochs (digits) still show their time
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  else if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s / 60) % 60);
  return buf;
}

Progress::Progress(FILE *out, bool tty, bool quiet)
    : out_(out), tty_(tty), quiet_(quiet) {}

void Progress::startEpoch(int64_t epoch, int64_t epochs, int64_t batches) {
  epoch_ = epoch;
  epochs_ = epochs;
  batches_ = batches;
  epochStart_ = Clock::now();
  lastDraw_ = Clock::time_point();
  drewLine_ = false;
}

void Progress::step(int64_t done, double loss, double accPercent,
                    double imagesPerSec) {
  if (quiet_ || !tty_)
    return;
  const Clock::time_point now = Clock::now();
  if (done < batches_ && now - lastDraw_ < std::chrono::milliseconds(100))
    return;
  lastDraw_ = now;
  // ETA from this epoch's pace; evaluation time is not included.
  const double elapsed =
      std::chrono::duration<double>(now - epochStart_).count();
  const double perBatch = done > 0 ? elapsed / static_cast<double>(done) : 0;
  const double remaining =
      perBatch * static_cast<double>((batches_ - done) +
                                     (epochs_ - epoch_) * batches_);
  std::fprintf(out_,
               "\r\x1b[Kepoch %lld/%lld  batch %lld/%lld  loss %.4f  acc "
               "%.2f%%  %.0f img/s  ETA %s",
               static_cast<long long>(epoch_), static_cast<long long>(epochs_),
               static_cast<long long>(done), static_cast<long long>(batches_),
               loss, accPercent, imagesPerSec,
               formatDuration(remaining).c_str());
  std::fflush(out_);
  drewLine_ = true;
}

void Progress::endEpoch(const std::string &summary) {
  if (quiet_)
    return;
  std::fprintf(out_, "%s%s\n", drewLine_ ? "\r\x1b[K" : "", summary.c_str());
  std::fflush(out_);
  drewLine_ = false;
}

} // namespace cardinal::rt
