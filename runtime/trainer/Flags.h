//===- Flags.h - the trainer's command line --------------------------------===//
//
// Values a checkpoint also records (epochs, seed, schedule, warmup, lr,
// momentum, wd) are optional here: --resume falls back to the checkpoint's,
// so `train --resume` continues the run it resumes without repeating flags.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_FLAGS_H
#define CARDINAL_RUNTIME_TRAINER_FLAGS_H

#include "runtime/trainer/DataSource.h"
#include "runtime/trainer/Schedule.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cardinal::rt {

struct TrainerOptions {
  std::string command = "train"; ///< train|eval|info|export|bench|predict
  bool help = false;
  DataSpec data;
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch;
  std::optional<double> lr, momentum, weightDecay;
  std::optional<LrSchedule> schedule; ///< without warmup (see `warmup`)
  std::optional<int64_t> warmup;
  int threads = 0; ///< 0: one per core
  std::optional<uint64_t> seed;
  std::string checkpointDir = "."; ///< last.safetensors, metrics.csv
  std::string checkpointFile;      ///< eval: --checkpoint FILE
  bool resume = false;
  int64_t evalEvery = 1; ///< evaluate every N epochs (and after the last)
  std::string metricsFile; ///< empty: <checkpointDir>/metrics.csv
  bool quiet = false;
  char form = 'c';          ///< export: a | b | c
  std::string output;       ///< export: the safetensors file to write
  // Data parallelism (train; see runtime/trainer/Parallel.h).
  std::string ranks = "auto"; ///< auto | local | mpi (runtime/comm)
  double commTimeout = 60;    ///< seconds a collective may take
  bool syncBn = false;        ///< BN statistics over all ranks' batches
  int64_t steps = 50;         ///< bench: timed training steps
  bool profile = false;       ///< bench: then time each kernel call
  std::vector<std::string> inputs; ///< predict: the image files
  int64_t top = 5;                 ///< predict: classes shown per image
};

/// Epochs when neither the command line nor a checkpoint says.
constexpr int64_t kDefaultEpochs = 30;

/// Parses argv[1..]: an optional command then flags ("--flag V" or
/// "--flag=V"). Returns false with `error` set on an unknown command or
/// flag, a missing or malformed value.
bool parseFlags(int argc, char **argv, TrainerOptions &out,
                std::string &error);

/// The help text.
std::string usage(const std::string &program);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_FLAGS_H
