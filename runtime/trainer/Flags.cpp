//===- Flags.cpp - the trainer's command line ------------------------------===//

#include "runtime/trainer/Flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

namespace cardinal::rt {
namespace {

bool toInt(const std::string &s, int64_t lo, int64_t &out) {
  errno = 0;
  char *end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || v < lo)
    return false;
  out = v;
  return true;
}

bool toU64(const std::string &s, uint64_t &out) {
  errno = 0;
  char *end = nullptr;
  if (s.empty() || s[0] == '-')
    return false;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (*end || errno)
    return false;
  out = v;
  return true;
}

bool toDouble(const std::string &s, double &out) {
  errno = 0;
  char *end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || errno || !std::isfinite(v) || v < 0)
    return false;
  out = v;
  return true;
}

} // namespace

bool parseFlags(int argc, char **argv, TrainerOptions &out,
                std::string &error) {
  TrainerOptions o;
  using Setter = std::function<bool(const std::string &)>;
  // Each value flag: how to store it and what a bad value means.
  auto intFlag = [&](std::optional<int64_t> &dst, int64_t lo) {
    return Setter([&dst, lo](const std::string &v) {
      int64_t x;
      if (!toInt(v, lo, x))
        return false;
      dst = x;
      return true;
    });
  };
  auto realFlag = [&](std::optional<double> &dst) {
    return Setter([&dst](const std::string &v) {
      double x;
      if (!toDouble(v, x))
        return false;
      dst = x;
      return true;
    });
  };
  auto stringFlag = [&](std::string &dst) {
    return Setter([&dst](const std::string &v) {
      dst = v;
      return !v.empty();
    });
  };
  std::string dataText = "digits", scheduleError, formText = "c";
  std::optional<int64_t> threads, evalEvery, decodeThreads, steps, top;
  std::optional<double> commTimeout;
  const std::map<std::string, std::pair<Setter, const char *>> valueFlags = {
      {"--data", {stringFlag(dataText), "a data spec"}},
      {"--epochs", {intFlag(o.epochs, 1), "an integer >= 1"}},
      {"--batch", {intFlag(o.batch, 1), "an integer >= 1"}},
      {"--lr", {realFlag(o.lr), "a number >= 0"}},
      {"--momentum", {realFlag(o.momentum), "a number >= 0"}},
      {"--wd", {realFlag(o.weightDecay), "a number >= 0"}},
      {"--schedule",
       {[&](const std::string &v) {
          LrSchedule s;
          if (!parseSchedule(v, s, scheduleError))
            return false;
          o.schedule = s;
          return true;
        },
        "constant, step:E1,E2,..., paper or cosine"}},
      {"--warmup", {intFlag(o.warmup, 0), "an integer >= 0"}},
      {"--threads", {intFlag(threads, 0), "an integer >= 0"}},
      {"--decode-threads", {intFlag(decodeThreads, 0), "an integer >= 0"}},
      {"--ranks",
       {[&](const std::string &v) {
          o.ranks = v;
          return v == "auto" || v == "local" || v == "mpi";
        },
        "auto, local or mpi"}},
      {"--comm-timeout",
       {[&](const std::string &v) {
          double x;
          if (!toDouble(v, x) || x <= 0)
            return false;
          commTimeout = x;
          return true;
        },
        "a number of seconds > 0"}},
      {"--seed",
       {[&](const std::string &v) {
          uint64_t s;
          if (!toU64(v, s))
            return false;
          o.seed = s;
          return true;
        },
        "an unsigned integer"}},
      {"--checkpoint-dir", {stringFlag(o.checkpointDir), "a directory"}},
      {"--checkpoint", {stringFlag(o.checkpointFile), "a file"}},
      {"--eval-every", {intFlag(evalEvery, 1), "an integer >= 1"}},
      {"--metrics", {stringFlag(o.metricsFile), "a file"}},
      {"--output", {stringFlag(o.output), "a file"}},
      {"-o", {stringFlag(o.output), "a file"}},
      {"--form", {stringFlag(formText), "a, b or c"}},
      {"--steps", {intFlag(steps, 1), "an integer >= 1"}},
      {"--top", {intFlag(top, 1), "an integer >= 1"}},
  };
  const std::map<std::string, bool *> switches = {
      {"--resume", &o.resume}, {"--quiet", &o.quiet}, {"--help", &o.help},
      {"--sync-bn", &o.syncBn}, {"--profile", &o.profile},
      {"-h", &o.help}};

  bool sawCommand = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("-", 0) != 0) {
      if (sawCommand && o.command == "predict") {
        o.inputs.push_back(arg); // an image file
        continue;
      }
      if (sawCommand || (arg != "train" && arg != "eval" && arg != "info" &&
                         arg != "export" && arg != "bench" &&
                         arg != "predict")) {
        error = "unexpected argument '" + arg +
                "' (commands: train, eval, info, export, bench, predict)";
        return false;
      }
      o.command = arg;
      sawCommand = true;
      continue;
    }
    std::string value;
    bool hasValue = false;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      hasValue = true;
    }
    if (auto s = switches.find(arg); s != switches.end()) {
      if (hasValue) {
        error = arg + " takes no value";
        return false;
      }
      *s->second = true;
      continue;
    }
    auto f = valueFlags.find(arg);
    if (f == valueFlags.end()) {
      error = "unknown flag '" + arg + "'";
      return false;
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        error = arg + " needs a value (" + f->second.second + ")";
        return false;
      }
      value = argv[++i];
    }
    scheduleError.clear();
    if (!f->second.first(value)) {
      error = !scheduleError.empty()
                  ? scheduleError
                  : arg + " " + value + ": expected " + f->second.second;
      return false;
    }
  }
  // bench's and predict's flags elsewhere would be silently ignored.
  if (o.command != "bench" && (steps || o.profile)) {
    error = std::string(steps ? "--steps" : "--profile") + " is for bench (" +
            o.command + " does not use it)";
    return false;
  }
  if (o.command != "predict" && top) {
    error = "--top is for predict (" + o.command + " does not use it)";
    return false;
  }
  if (o.command == "predict" && o.inputs.empty()) {
    error = "predict needs image files (JPEG): trainer predict [flags] "
            "IMAGE...";
    return false;
  }
  o.top = top.value_or(o.top);
  if (formText != "a" && formText != "b" && formText != "c") {
    error = "--form " + formText + ": expected a, b or c";
    return false;
  }
  o.form = formText[0];
  if (o.command == "export" && o.output.empty()) {
    error = "export needs -o FILE (the safetensors file to write)";
    return false;
  }
  if (!parseDataSpec(dataText, o.data, error))
    return false;
  o.data.decodeThreads = static_cast<int>(decodeThreads.value_or(0));
  if (o.schedule && o.warmup)
    o.schedule->warmup = *o.warmup;
  o.threads = static_cast<int>(threads.value_or(0));
  o.evalEvery = evalEvery.value_or(1);
  o.commTimeout = commTimeout.value_or(o.commTimeout);
  o.steps = steps.value_or(o.steps);
  out = o;
  return true;
}

std::string usage(const std::string &program) {
  return "usage: " + program + R"( [train|eval|info|export|bench|predict] [flags]

commands:
  train (default)        train, evaluating and checkpointing every epoch
  eval                   evaluate a checkpoint on the test set
  info                   print the model's name, shapes, batch and sizes
  export --form a|b|c -o FILE
                         the checkpoint's weights and BN statistics in the
                         paper's form (a), (b) or (c), as safetensors
  predict [--top K] IMAGE...
                         classify JPEG files with the checkpoint (resize,
                         centre crop, ImageNet normalization): top K classes
                         (default 5) and probabilities; --data imagenet:DIR
                         names the classes after DIR/train's folders
  bench [--steps N] [--profile]
                         time N training steps (default 50, after 5 warm-up)
                         on one random batch: images/s, no data or eval;
                         --profile: then N more, timing each kernel call
                         (a table per kernel and the slowest calls)

flags:
  --data SPEC            digits[:FILE.csv.gz] (default) | synthetic[:N] | cifar:DIR
                         | imagenet:DIR (DIR/train/<class>/*.jpg, DIR/val/<class>/*.jpg)
  --epochs N             total epochs (default 30, or the checkpoint's)
  --batch N              must equal the batch the trainer was built for
  --lr X --momentum X --wd X
                         SGD settings (default: the model's)
  --schedule S           constant | step:E1,E2,... | paper | cosine (default paper:
                         lr/10 at 50% and 75% of the epochs)
  --warmup E             linear lr warmup over the first E epochs
  --threads N            kernel threads (default: one per core)
  --decode-threads N     imagenet: JPEG decode threads (default: one per core)
  --seed S               initialization and shuffling seed (default 0)
  --checkpoint-dir DIR   where last.safetensors and metrics.csv go (default .)
  --checkpoint FILE      eval, export, predict: the checkpoint to read
                         (default DIR/last.safetensors)
  --resume               continue from DIR/last.safetensors
  --eval-every N         test-set evaluation every N epochs (default 1)
  --metrics FILE         per-epoch CSV (default DIR/metrics.csv)
  --quiet                no progress output
  --help                 this text

data parallelism (train, eval; launch with mpirun -np N, one rank per process):
  --ranks MODE           auto (default: MPI when started by mpirun/srun) | local
                         (one process) | mpi. Each rank trains on its shard of
                         every epoch with the built batch: the global batch is
                         N x batch; each scores its slice of the test set.
                         Only rank 0 prints, writes metrics and checkpoints
  --comm-timeout S       abort all ranks when a collective takes over S seconds
                         (a dead or hung peer; default 60)
  --sync-bn              BN batch and running statistics over all ranks' batches
                         (default: per rank, as the paper's per-GPU BN)
)";
}

} // namespace cardinal::rt
