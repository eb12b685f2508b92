//===- Train.cpp - the `train` command: the epoch loop ---------------------===//

#include "runtime/trainer/Train.h"

#include "runtime/Random.h"
#include "runtime/data/Batcher.h"
#include "runtime/trainer/Checkpointing.h"
#include "runtime/trainer/Evaluate.h"
#include "runtime/trainer/Init.h"
#include "runtime/trainer/Metrics.h"
#include "runtime/trainer/Progress.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace cardinal::rt {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// mkdir -p.
void makeDirs(const std::string &dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/')
      continue;
    const std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      throw std::runtime_error(prefix + ": cannot create directory: " +
                               std::strerror(errno));
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error(dir + ": not a directory");
}

/// What the run uses: flags first, then (on resume) the checkpoint, then
/// the model's defaults.
struct RunSettings {
  int64_t epochs = kDefaultEpochs;
  uint64_t seed = 0;
  LrSchedule schedule;
  double lr = 0, momentum = 0, weightDecay = 0;
};

RunSettings freshSettings(const TrainerOptions &o, const CompiledModel &m) {
  const StepHyper d = m.defaultHyper();
  RunSettings s;
  s.epochs = o.epochs.value_or(kDefaultEpochs);
  s.seed = o.seed.value_or(0);
  s.schedule = o.schedule.value_or(LrSchedule());
  s.schedule.warmup = o.warmup.value_or(0);
  s.lr = o.lr.value_or(d.lr);
  s.momentum = o.momentum.value_or(d.momentum);
  s.weightDecay = o.weightDecay.value_or(d.weightDecay);
  return s;
}

RunSettings resumedSettings(const TrainerOptions &o, const CheckpointInfo &c,
                            const std::string &path) {
  RunSettings s;
  s.epochs = o.epochs.value_or(c.epochs);
  // The shuffle order depends on the seed: changing it mid-run would make
  // the run irreproducible, so the checkpoint's wins.
  s.seed = c.seed;
  if (o.seed && *o.seed != c.seed)
    std::fprintf(stderr,
                 "warning: --seed %llu ignored: resuming the run with seed "
                 "%llu\n",
                 static_cast<unsigned long long>(*o.seed),
                 static_cast<unsigned long long>(c.seed));
  if (o.schedule) {
    s.schedule = *o.schedule;
  } else {
    std::string error;
    if (!parseSchedule(c.schedule, s.schedule, error))
      throw std::runtime_error(path + ": metadata \"schedule\": " + error);
  }
  s.schedule.warmup = o.warmup.value_or(c.warmup);
  s.lr = o.lr.value_or(c.lr);
  s.momentum = o.momentum.value_or(c.momentum);
  s.weightDecay = o.weightDecay.value_or(c.weightDecay);
  return s;
}

std::string epochSummary(const MetricsRow &row, int64_t epochs,
                         double imagesPerSec) {
  char test[96] = "";
  if (row.evaluated)
    std::snprintf(test, sizeof test, "  test err %.2f%% (top-5 %.2f%%)",
                  row.testTop1Err, row.testTop5Err);
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %lld/%lld  loss %.4f  train err %.2f%%%s  lr %.4g  "
                "%.0f img/s  %s",
                static_cast<long long>(row.epoch),
                static_cast<long long>(epochs), row.trainLoss,
                row.trainTop1Err, test, row.lr, imagesPerSec,
                formatDuration(row.seconds).c_str());
  return line;
}

} // namespace

std::string checkpointPath(const TrainerOptions &options) {
  return options.checkpointDir + "/last.safetensors";
}

int runTrain(const TrainerOptions &options, CompiledModel &model) {
  const DataSplit data = loadData(options.data, model);
  makeDirs(options.checkpointDir);
  const std::string ckpt = checkpointPath(options);

  RunSettings run;
  Random rng;
  int64_t firstEpoch = 0;
  if (options.resume) {
    const CheckpointInfo info = loadCheckpoint(ckpt, model);
    if (info.model != model.name())
      std::fprintf(stderr,
                   "warning: %s was written by model '%s', resuming it into "
                   "'%s' (tensors match)\n",
                   ckpt.c_str(), info.model.c_str(), model.name().c_str());
    if (info.batch != model.batch())
      std::fprintf(stderr,
                   "warning: %s was trained with batch %lld, resuming with "
                   "batch %lld\n",
                   ckpt.c_str(), static_cast<long long>(info.batch),
                   static_cast<long long>(model.batch()));
    if (info.data != options.data.text)
      std::fprintf(stderr,
                   "warning: %s was trained on --data %s, resuming on %s\n",
                   ckpt.c_str(), info.data.c_str(),
                   options.data.text.c_str());
    run = resumedSettings(options, info, ckpt);
    rng.setState(info.rng);
    firstEpoch = info.epoch;
  } else {
    struct stat st;
    if (::stat(ckpt.c_str(), &st) == 0)
      std::fprintf(stderr,
                   "note: starting a fresh run; it will replace %s (pass "
                   "--resume to continue that run instead)\n",
                   ckpt.c_str());
    run = freshSettings(options, model);
    rng.reseed(run.seed);
    initializeTensors(model.tensors(), rng);
  }

  BatcherOptions bo;
  bo.batchSize = model.batch();
  bo.shuffle = true;
  bo.dropLast = true; // trainStep is specialized to full batches
  bo.seed = run.seed;
  bo.augment = augmentationFor(options.data);
  // Checked before any file is touched.
  Batcher batcher(data.train, bo);
  const int64_t steps = batcher.batchesPerEpoch();
  if (steps == 0)
    throw std::runtime_error(
        "data '" + options.data.text + "': the train split has " +
        std::to_string(data.train.size()) +
        " samples, fewer than one batch of " + std::to_string(model.batch()));

  MetricsLog metrics(options.metricsFile.empty()
                         ? options.checkpointDir + "/metrics.csv"
                         : options.metricsFile,
                     options.resume ? std::optional<int64_t>(firstEpoch)
                                    : std::nullopt);

  const int64_t batch = model.batch();
  std::vector<float> images(batch * data.train.imageSize());
  std::vector<int32_t> labels(batch);
  Progress progress(stdout, ::isatty(fileno(stdout)) == 1, options.quiet);

  EvalResult last;
  bool haveLast = false;
  for (int64_t epoch = firstEpoch; epoch < run.epochs; ++epoch) {
    const Clock::time_point start = Clock::now();
    StepHyper hyper;
    hyper.lr = static_cast<float>(run.schedule.lr(run.lr, epoch, run.epochs));
    hyper.momentum = static_cast<float>(run.momentum);
    hyper.weightDecay = static_cast<float>(run.weightDecay);

    batcher.startEpoch(epoch);
    progress.startEpoch(epoch + 1, run.epochs, steps);
    double lossSum = 0;
    int64_t correct = 0, seen = 0;
    for (int64_t step = 0; step < steps; ++step) {
      if (batcher.next(images.data(), labels.data()) != batch)
        throw std::runtime_error("internal error: short training batch");
      const StepStats st = model.trainStep(images.data(), labels.data(), hyper);
      if (!std::isfinite(st.loss))
        throw std::runtime_error(
            "training diverged: loss is " + std::to_string(st.loss) +
            " at epoch " + std::to_string(epoch + 1) + ", step " +
            std::to_string(step + 1) + " (lr " + std::to_string(hyper.lr) +
            "); try a lower --lr or --warmup");
      lossSum += st.loss;
      correct += st.correct1;
      seen += batch;
      progress.step(step + 1, lossSum / static_cast<double>(step + 1),
                    100.0 * static_cast<double>(correct) /
                        static_cast<double>(seen),
                    static_cast<double>(seen) / secondsSince(start));
    }
    const double trainSeconds = secondsSince(start);

    MetricsRow row;
    row.epoch = epoch + 1;
    row.trainLoss = lossSum / static_cast<double>(steps);
    row.trainTop1Err =
        100.0 * static_cast<double>(seen - correct) / static_cast<double>(seen);
    row.lr = hyper.lr;
    row.evaluated =
        (epoch + 1) % options.evalEvery == 0 || epoch + 1 == run.epochs;
    if (row.evaluated) {
      last = evaluate(model, data.test);
      haveLast = true;
      row.testTop1Err = last.top1Err;
      row.testTop5Err = last.top5Err;
    }
    row.seconds = secondsSince(start);
    // Metrics before the checkpoint: a crash between the two leaves an
    // extra row, which resuming from the older checkpoint drops.
    metrics.append(row);
    CheckpointInfo info;
    info.model = model.name();
    info.epoch = epoch + 1;
    info.epochs = run.epochs;
    info.seed = run.seed;
    info.rng = rng.state();
    info.schedule = run.schedule.spec();
    info.warmup = run.schedule.warmup;
    info.lr = run.lr;
    info.momentum = run.momentum;
    info.weightDecay = run.weightDecay;
    info.batch = batch;
    info.data = options.data.text;
    saveCheckpoint(ckpt, model, info);
    progress.endEpoch(epochSummary(
        row, run.epochs, static_cast<double>(seen) / trainSeconds));
  }

  if (!haveLast) // resumed a finished run: report its result anyway
    last = evaluate(model, data.test);
  std::printf("test accuracy: %.2f%%\n", 100.0 - last.top1Err);
  std::printf("test top-5 accuracy: %.2f%%\n", 100.0 - last.top5Err);
  std::fflush(stdout);
  return 0;
}

} // namespace cardinal::rt
