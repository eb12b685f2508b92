//===- Metrics.h - the per-epoch metrics.csv -------------------------------===//
//
// One row per completed epoch, fixed formatting so two runs can be diffed.
// Errors are in percent. Every column but `seconds` (wall time of the
// epoch's training and evaluation) is deterministic for a fixed seed and
// thread count; test columns are empty in epochs that --eval-every skips.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_METRICS_H
#define CARDINAL_RUNTIME_TRAINER_METRICS_H

#include <cstdint>
#include <optional>
#include <string>

namespace cardinal::rt {

struct MetricsRow {
  int64_t epoch = 0; ///< 1-based: epochs completed
  double trainLoss = 0, trainTop1Err = 0;
  bool evaluated = false;
  double testTop1Err = 0, testTop5Err = 0;
  double lr = 0;
  double seconds = 0;
};

/// "epoch,train_loss,train_top1_err,test_top1_err,test_top5_err,lr,seconds"
const char *metricsHeader();
/// The row's CSV line, without the newline.
std::string formatMetricsRow(const MetricsRow &row);

class MetricsLog {
public:
  /// Starts the log at `path`. A fresh run (keepThrough empty) replaces the
  /// file with just the header. A resumed run keeps the rows of epochs <=
  /// *keepThrough (the checkpoint's), dropping any written after it, and
  /// creates the file if missing. Throws std::runtime_error naming the file
  /// if it cannot be written or is not a metrics file.
  MetricsLog(std::string path, std::optional<int64_t> keepThrough);

  /// Appends and flushes one row; throws std::runtime_error on I/O errors.
  void append(const MetricsRow &row);

  const std::string &path() const { return path_; }

private:
  std::string path_;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_METRICS_H
