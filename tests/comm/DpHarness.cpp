//===- DpHarness.cpp - data-parallel trainer harness and oracles -----------===//
//
// Linked with a `cardinal build --emit cpp` model (which defines
// createCompiledModel()) and the trainer runtime, like a generated trainer,
// but with a main() that adds what the tests need:
//
//   dp-harness train FLAGS...
//       runTrainer on a wrapped model. After every trainStep the wrapper
//       appends "<step> <hash of parameters + momentum> <hash of BN state>"
//       to $CARDINAL_TEST_STEP_LOG.rank<R> (R = the MPI rank from the
//       launcher's environment), so the test can diff the ranks step by step.
//       Fault injection for the failure tests: rank $CARDINAL_TEST_FAULT_RANK
//       kills itself (SIGKILL) before step $CARDINAL_TEST_KILL_STEP, or hangs
//       before step $CARDINAL_TEST_HANG_STEP (1-based, counted over the run).
//
//   dp-harness oracle-split --data SPEC --seed S --lr LR --epochs E
//                           --checkpoint FILE [--tolerance T]
//       The single-process reference for 2 ranks with per-rank BN: two model
//       replicas, replica r stepping on rank r's half of every global batch
//       (the Batcher's rank/worldSize shards); each step averages the two
//       half-batch gradients ((gA + gB) / 2) and applies that one update to
//       both. Compares parameters and momentum buffers with FILE (the 2-rank
//       run's checkpoint): max relative difference per tensor <= T
//       (default 1e-6). Prints the largest.
//
//   dp-harness oracle-full  (same flags; build with batch = 2 x rank batch)
//       The single-process reference for 2 ranks with --sync-bn: one model of
//       the global batch stepping on [rank 0's half; rank 1's half]; compares
//       every tensor (BN running statistics too) with FILE.
//
// Both oracles use constant lr and the model's momentum and weight decay,
// the trainer's initialization from --seed and --threads 1.
//
//===----------------------------------------------------------------------===//
#include "runtime/Random.h"
#include "runtime/kernels/Threads.h"
#include "runtime/trainer/Checkpointing.h"
#include "runtime/trainer/CompiledModel.h"
#include "runtime/trainer/DataSource.h"
#include "runtime/trainer/Init.h"
#include "runtime/trainer/TrainerMain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace cardinal::rt;

namespace {

uint64_t hashTensors(std::vector<NamedTensor> &tensors, unsigned kinds) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const NamedTensor &t : tensors) {
    if (!(kinds & (1u << static_cast<unsigned>(t.kind))))
      continue;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(t.data);
    for (size_t i = 0; i < static_cast<size_t>(t.size()) * sizeof(float); ++i) {
      h ^= p[i];
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

constexpr unsigned kParamsAndVelocity =
    (1u << static_cast<unsigned>(NamedTensor::Kind::Param)) |
    (1u << static_cast<unsigned>(NamedTensor::Kind::Velocity));
constexpr unsigned kState = 1u << static_cast<unsigned>(NamedTensor::Kind::State);

int envInt(const char *name, int fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

int launcherRank() {
  for (const char *v : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
    if (std::getenv(v))
      return envInt(v, 0);
  return 0;
}

/// Forwards everything to the generated model; logs and injects faults
/// around trainStep.
class Wrapped final : public CompiledModel {
public:
  explicit Wrapped(std::unique_ptr<CompiledModel> inner)
      : inner_(std::move(inner)), rank_(launcherRank()) {
    if (const char *log = std::getenv("CARDINAL_TEST_STEP_LOG"))
      log_ = std::fopen((std::string(log) + ".rank" + std::to_string(rank_)).c_str(), "w");
    if (envInt("CARDINAL_TEST_FAULT_RANK", -1) == rank_) {
      killStep_ = envInt("CARDINAL_TEST_KILL_STEP", 0);
      hangStep_ = envInt("CARDINAL_TEST_HANG_STEP", 0);
    }
  }
  ~Wrapped() override {
    if (log_)
      std::fclose(log_);
  }
  std::string name() const override { return inner_->name(); }
  int64_t batch() const override { return inner_->batch(); }
  int64_t channels() const override { return inner_->channels(); }
  int64_t height() const override { return inner_->height(); }
  int64_t width() const override { return inner_->width(); }
  int64_t classes() const override { return inner_->classes(); }
  int64_t arenaBytes() const override { return inner_->arenaBytes(); }
  std::vector<NamedTensor> &tensors() override { return inner_->tensors(); }
  StepHyper defaultHyper() const override { return inner_->defaultHyper(); }
  std::vector<NamedTensor> gradients() override { return inner_->gradients(); }
  std::vector<FormEntry> formMap(char form) const override {
    return inner_->formMap(form);
  }
  void predict(const float *images, float *logits) override {
    inner_->predict(images, logits);
  }
  StepStats trainStep(const float *images, const int32_t *labels,
                      const StepHyper &hyper) override {
    ++step_;
    if (step_ == killStep_) {
      std::fprintf(stderr, "dp-harness: rank %d: killing itself before step %d\n",
                   rank_, step_);
      std::fflush(stderr);
      ::raise(SIGKILL);
    }
    if (step_ == hangStep_) {
      std::fprintf(stderr, "dp-harness: rank %d: hanging before step %d\n",
                   rank_, step_);
      std::fflush(stderr);
      std::this_thread::sleep_for(std::chrono::hours(1));
    }
    inner_->setGradientHook(gradientHook_);
    const StepStats st = inner_->trainStep(images, labels, hyper);
    if (log_) {
      std::fprintf(log_, "%d %016llx %016llx\n", step_,
                   static_cast<unsigned long long>(
                       hashTensors(inner_->tensors(), kParamsAndVelocity)),
                   static_cast<unsigned long long>(
                       hashTensors(inner_->tensors(), kState)));
      std::fflush(log_);
    }
    return st;
  }

private:
  std::unique_ptr<CompiledModel> inner_;
  int rank_;
  FILE *log_ = nullptr;
  int step_ = 0, killStep_ = 0, hangStep_ = 0;
};

struct OracleArgs {
  std::string data = "synthetic:256", checkpoint;
  uint64_t seed = 0;
  double lr = 0.05, tolerance = 1e-6;
  int64_t epochs = 1;
};

OracleArgs parseOracle(int argc, char **argv) {
  OracleArgs a;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--data")
      a.data = v;
    else if (k == "--seed")
      a.seed = std::stoull(v);
    else if (k == "--lr")
      a.lr = std::stod(v);
    else if (k == "--epochs")
      a.epochs = std::stoll(v);
    else if (k == "--checkpoint")
      a.checkpoint = v;
    else if (k == "--tolerance")
      a.tolerance = std::stod(v);
    else
      throw std::runtime_error("unknown oracle flag " + k);
  }
  if (a.checkpoint.empty())
    throw std::runtime_error("oracle needs --checkpoint FILE");
  return a;
}

void copyTensors(CompiledModel &from, CompiledModel &to, unsigned kinds) {
  auto &src = from.tensors();
  auto &dst = to.tensors();
  for (size_t i = 0; i < src.size(); ++i)
    if (kinds & (1u << static_cast<unsigned>(src[i].kind)))
      std::memcpy(dst[i].data, src[i].data, src[i].size() * sizeof(float));
}

/// Max over tensors of `kinds` of max|a - b| / max|b|; prints the worst.
int compare(CompiledModel &mine, const std::string &checkpoint, unsigned kinds,
            double tolerance) {
  std::unique_ptr<CompiledModel> ref = createCompiledModel();
  loadCheckpoint(checkpoint, *ref); // the 2-rank run's (rank 0's) tensors
  double worst = 0;
  std::string worstName;
  int64_t identical = 0, compared = 0;
  auto &a = mine.tensors();
  auto &b = ref->tensors();
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(kinds & (1u << static_cast<unsigned>(a[i].kind))))
      continue;
    double diff = 0, scale = 0;
    for (int64_t j = 0; j < a[i].size(); ++j) {
      diff = std::max(diff, std::fabs(double(a[i].data[j]) - b[i].data[j]));
      scale = std::max(scale, std::fabs(double(b[i].data[j])));
    }
    const double rel = scale > 0 ? diff / scale : diff;
    ++compared;
    identical += std::memcmp(a[i].data, b[i].data, a[i].size() * sizeof(float)) == 0;
    if (rel > worst || worstName.empty()) {
      worst = std::max(worst, rel);
      if (rel >= worst)
        worstName = a[i].name;
    }
  }
  std::printf("oracle: %lld tensors compared, %lld bit-identical; max relative "
              "difference %.3g (%s), tolerance %.3g\n",
              static_cast<long long>(compared),
              static_cast<long long>(identical), worst, worstName.c_str(),
              tolerance);
  if (worst > tolerance) {
    std::printf("oracle: FAILED\n");
    return 1;
  }
  std::printf("oracle: ok\n");
  return 0;
}

int runOracle(int argc, char **argv, bool full) {
  const OracleArgs args = parseOracle(argc, argv);
  setNumThreads(1);
  DataSpec spec;
  std::string error;
  if (!parseDataSpec(args.data, spec, error))
    throw std::runtime_error(error);
  std::unique_ptr<CompiledModel> a = createCompiledModel();
  std::unique_ptr<CompiledModel> b = full ? nullptr : createCompiledModel();
  Random rng(args.seed);
  initializeTensors(a->tensors(), rng);
  if (b)
    copyTensors(*a, *b, 7);
  const OpenedData data = openData(spec, *a);
  const int64_t half = full ? a->batch() / 2 : a->batch();
  if (full && a->batch() % 2 != 0)
    throw std::runtime_error("oracle-full needs an even batch");
  std::unique_ptr<BatchSource> src[2];
  for (int r = 0; r < 2; ++r) {
    BatcherOptions bo;
    bo.batchSize = half;
    bo.shuffle = true;
    bo.dropLast = true;
    bo.seed = args.seed;
    bo.augment = augmentationFor(spec);
    bo.rank = r;
    bo.worldSize = 2;
    src[r] = data.trainSource(bo);
  }
  StepHyper hyper = a->defaultHyper();
  hyper.lr = static_cast<float>(args.lr);
  const int64_t imageSize = src[0]->imageSize();
  std::vector<float> images(2 * half * imageSize);
  std::vector<int32_t> labels(2 * half);
  std::vector<std::vector<float>> gradB;
  int64_t steps = 0;
  for (int64_t epoch = 0; epoch < args.epochs; ++epoch) {
    src[0]->startEpoch(epoch);
    src[1]->startEpoch(epoch);
    for (int64_t s = 0; s < src[0]->batchesPerEpoch(); ++s, ++steps) {
      // [rank 0's half; rank 1's half]
      if (src[0]->next(images.data(), labels.data()) != half ||
          src[1]->next(images.data() + half * imageSize,
                       labels.data() + half) != half)
        throw std::runtime_error("short batch");
      if (full) {
        a->trainStep(images.data(), labels.data(), hyper);
        continue;
      }
      b->setGradientHook([&](std::vector<NamedTensor> &grads) {
        gradB.resize(grads.size());
        for (size_t i = 0; i < grads.size(); ++i)
          gradB[i].assign(grads[i].data, grads[i].data + grads[i].size());
      });
      b->trainStep(images.data() + half * imageSize, labels.data() + half,
                   hyper);
      a->setGradientHook([&](std::vector<NamedTensor> &grads) {
        for (size_t i = 0; i < grads.size(); ++i)
          for (int64_t j = 0; j < grads[i].size(); ++j)
            grads[i].data[j] = (grads[i].data[j] + gradB[i][j]) / 2.0f;
      });
      a->trainStep(images.data(), labels.data(), hyper);
      copyTensors(*a, *b, kParamsAndVelocity); // the one update, on both
    }
    if (b)
      copyTensors(*a, *b, kState);
  }
  std::printf("oracle-%s: %lld steps of 2 x %lld samples\n",
              full ? "full" : "split", static_cast<long long>(steps),
              static_cast<long long>(half));
  // Split: rank 0's BN running statistics saw only its halves, like
  // replica a's; full: one BN over the whole batch, as --sync-bn.
  return compare(*a, args.checkpoint, kParamsAndVelocity | kState,
                 args.tolerance);
}

} // namespace

int main(int argc, char **argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "oracle-split" || mode == "oracle-full")
      return runOracle(argc, argv, mode == "oracle-full");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "dp-harness: error: %s\n", e.what());
    return 1;
  }
  // Anything else: the trainer's own command line.
  Wrapped model(createCompiledModel());
  return runTrainer(argc, argv, model);
}
