//===- Train.cpp - the `train` command: the epoch loop ---------------------===//

#include "runtime/trainer/Train.h"

#include "runtime/Random.h"
#include "runtime/data/Batcher.h"
#include "runtime/trainer/Checkpointing.h"
#include "runtime/trainer/Evaluate.h"
#include "runtime/trainer/Init.h"
#include "runtime/trainer/Metrics.h"
#include "runtime/trainer/Parallel.h"
#include "runtime/trainer/Progress.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
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

/// Rank 0's run settings, for the other ranks (which read no checkpoint).
std::string packRun(const RunSettings &s, int64_t firstEpoch,
                    const Random &rng) {
  Packer p;
  p.put(s.epochs).put(s.seed).put(s.schedule.spec()).put(s.schedule.warmup);
  p.put(s.lr).put(s.momentum).put(s.weightDecay).put(firstEpoch);
  p.put(rng.state());
  return p.bytes;
}

void unpackRun(const std::string &bytes, RunSettings &s, int64_t &firstEpoch,
               Random &rng) {
  Unpacker u(bytes);
  std::string spec, error;
  std::array<uint64_t, 4> state{};
  u.get(s.epochs).get(s.seed).get(spec);
  if (!parseSchedule(spec, s.schedule, error))
    throw std::runtime_error("internal error: rank 0 sent schedule '" + spec +
                             "': " + error);
  u.get(s.schedule.warmup).get(s.lr).get(s.momentum).get(s.weightDecay);
  u.get(firstEpoch).get(state);
  rng.setState(state);
}

} // namespace

std::string checkpointPath(const TrainerOptions &options) {
  return options.checkpointDir + "/last.safetensors";
}

int runTrain(const TrainerOptions &options, CompiledModel &model) {
  LocalCommunicator local;
  return runTrain(options, model, local);
}

int runTrain(const TrainerOptions &options, CompiledModel &model,
             Communicator &comm) {
  // Installs the gradient all-reduce (and --sync-bn) for this run.
  DataParallel dp(comm, model, options.syncBn);
  const bool lead = dp.lead(); // rank 0: prints, writes metrics, checkpoints
  const int world = dp.size();
  if (lead && options.syncBn && world == 1)
    std::fprintf(stderr, "note: --sync-bn has no effect with one rank\n");
  const OpenedData data = openData(options.data, model);
  if (lead)
    makeDirs(options.checkpointDir);
  const std::string ckpt = checkpointPath(options);

  RunSettings run;
  Random rng;
  int64_t firstEpoch = 0;
  if (!lead) {
    // Rank 0 reads the checkpoint or initializes; its settings and tensors
    // arrive below.
  } else if (options.resume) {
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
    model.tensorsWritten();
  }
  if (world > 1) { // every rank starts from rank 0's run and tensors
    std::string record = lead ? packRun(run, firstEpoch, rng) : std::string();
    broadcastString(comm, record, 0);
    if (!lead)
      unpackRun(record, run, firstEpoch, rng);
    dp.broadcastTensors();
  }

  BatcherOptions bo;
  bo.batchSize = model.batch();
  bo.shuffle = true;
  bo.dropLast = true; // trainStep is specialized to full batches
  bo.seed = run.seed;
  bo.augment = augmentationFor(options.data);
  bo.rank = comm.rank(); // this rank's slice of every epoch's shuffle
  bo.worldSize = world;
  // Checked before any file is touched.
  const std::unique_ptr<BatchSource> train = data.trainSource(bo);
  // Each rank scores its slice of the test set; the sums are added up.
  const std::unique_ptr<BatchSource> test =
      data.testSource(model.batch(), comm.rank(), world);
  const int64_t steps = train->batchesPerEpoch();
  if (steps == 0)
    throw std::runtime_error(
        "data '" + options.data.text + "': the train split has " +
        std::to_string(data.trainSize()) +
        " samples, fewer than one batch of " + std::to_string(model.batch()) +
        (world > 1 ? " per rank on " + std::to_string(world) + " ranks"
                   : std::string()));

  std::optional<MetricsLog> metrics;
  if (lead)
    metrics.emplace(options.metricsFile.empty()
                        ? options.checkpointDir + "/metrics.csv"
                        : options.metricsFile,
                    options.resume ? std::optional<int64_t>(firstEpoch)
                                   : std::nullopt);

  const int64_t batch = model.batch();
  std::vector<float> images(batch * train->imageSize());
  std::vector<int32_t> labels(batch);
  // Under an MPI launcher stdout is often a pty that ends up in a log: one
  // line per epoch, no live redraws.
  Progress progress(stdout, world == 1 && ::isatty(fileno(stdout)) == 1,
                    options.quiet || !lead);

  EvalResult last;
  bool haveLast = false;
  for (int64_t epoch = firstEpoch; epoch < run.epochs; ++epoch) {
    const Clock::time_point start = Clock::now();
    StepHyper hyper;
    hyper.lr = static_cast<float>(run.schedule.lr(run.lr, epoch, run.epochs));
    hyper.momentum = static_cast<float>(run.momentum);
    hyper.weightDecay = static_cast<float>(run.weightDecay);

    train->startEpoch(epoch);
    dp.resetTimers();
    progress.startEpoch(epoch + 1, run.epochs, steps);
    double lossSum = 0;
    int64_t correct = 0, seen = 0;
    for (int64_t step = 0; step < steps; ++step) {
      if (train->next(images.data(), labels.data()) != batch)
        throw std::runtime_error("internal error: short training batch");
      const StepStats st = model.trainStep(images.data(), labels.data(), hyper);
      if (world > 1 && step == 0 && dp.hookCalls() == 0)
        throw std::runtime_error(
            "model '" + model.name() +
            "' does not call its gradient hook, so its gradients cannot be "
            "all-reduced: it cannot train on " + std::to_string(world) +
            " ranks (rebuild it with a current `cardinal build`)");
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
    if (world > 1) {
      // The epoch's numbers over all ranks; then one model everywhere for
      // evaluation and the checkpoint: rank 0's BN running statistics (per
      // rank without --sync-bn), and a check that the replicas agree.
      comm.allReduceSum(&lossSum, 1);
      int64_t counts[2] = {correct, seen};
      comm.allReduceSum(counts, 2);
      correct = counts[0];
      seen = counts[1];
      if (!dp.syncBn())
        dp.broadcastTensors(DataParallel::bit(NamedTensor::Kind::State));
      if (const int64_t differ = dp.checkReplicas(); differ > 0 && lead)
        std::fprintf(stderr,
                     "warning: the tensors of %lld rank(s) differed from rank "
                     "0's after epoch %lld; re-synchronized from rank 0\n",
                     static_cast<long long>(differ),
                     static_cast<long long>(epoch + 1));
    }

    MetricsRow row;
    row.epoch = epoch + 1;
    row.trainLoss = lossSum / static_cast<double>(steps * world);
    row.trainTop1Err =
        100.0 * static_cast<double>(seen - correct) / static_cast<double>(seen);
    row.lr = hyper.lr;
    row.evaluated =
        (epoch + 1) % options.evalEvery == 0 || epoch + 1 == run.epochs;
    if (row.evaluated) {
      last = evaluateOnRanks(model, *test, comm);
      haveLast = true;
      row.testTop1Err = last.top1Err;
      row.testTop5Err = last.top5Err;
    }
    row.seconds = secondsSince(start);
    // Metrics before the checkpoint: a crash between the two leaves an
    // extra row, which resuming from the older checkpoint drops.
    if (metrics)
      metrics->append(row);
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
    if (lead)
      saveCheckpoint(ckpt, model, info);
    std::string summary = epochSummary(
        row, run.epochs, static_cast<double>(seen) / trainSeconds);
    if (const std::string loader = formatLoaderStats(train->stats());
        !loader.empty()) // decoding sources: "loader N img/s (M img/s/core)"
      summary += "  " + loader;
    if (world > 1) { // the trainer's own timers, per step of this rank
      char line[160];
      const double perStep = 1e3 / static_cast<double>(steps);
      std::snprintf(line, sizeof line, "  %d ranks  allreduce %.2f ms/step",
                    world,
                    (dp.gradientSeconds() + dp.bnSeconds()) * perStep);
      summary += line;
      if (dp.syncBn()) {
        std::snprintf(line, sizeof line, " (gradients %.2f, sync-bn %.2f)",
                      dp.gradientSeconds() * perStep, dp.bnSeconds() * perStep);
        summary += line;
      }
    }
    progress.endEpoch(summary);
  }

  if (!haveLast) // resumed a finished run: report its result anyway
    last = evaluateOnRanks(model, *test, comm);
  if (world > 1)
    comm.barrier(); // rank 0's last checkpoint is written
  if (!lead)
    return 0;
  std::printf("test accuracy: %.2f%%\n", 100.0 - last.top1Err);
  std::printf("test top-5 accuracy: %.2f%%\n", 100.0 - last.top5Err);
  std::fflush(stdout);
  return 0;
}

} // namespace cardinal::rt
