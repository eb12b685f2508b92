//===- TrainerMain.cpp - the trainer binary's entry point ------------------===//

#include "runtime/trainer/TrainerMain.h"

#include "runtime/comm/Communicator.h"
#include "runtime/kernels/Threads.h"
#include "runtime/trainer/Bench.h"
#include "runtime/trainer/Checkpointing.h"
#include "runtime/trainer/Evaluate.h"
#include "runtime/trainer/Predict.h"
#include "runtime/trainer/Export.h"
#include "runtime/trainer/Flags.h"
#include "runtime/trainer/Train.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>

namespace cardinal::rt {
namespace {

std::string programName(int argc, char **argv) {
  if (argc < 1 || !argv[0])
    return "trainer";
  const std::string p = argv[0];
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

int printInfo(CompiledModel &model) {
  int64_t counts[3] = {0, 0, 0}, numbers[3] = {0, 0, 0};
  for (const NamedTensor &t : model.tensors()) {
    const int k = static_cast<int>(t.kind);
    ++counts[k];
    numbers[k] += t.size();
  }
  const StepHyper h = model.defaultHyper();
  std::printf("model: %s\n", model.name().c_str());
  std::printf("input: %lldx%lldx%lld (CxHxW), %lld classes\n",
              static_cast<long long>(model.channels()),
              static_cast<long long>(model.height()),
              static_cast<long long>(model.width()),
              static_cast<long long>(model.classes()));
  std::printf("batch: %lld\n", static_cast<long long>(model.batch()));
  std::printf("parameters: %lld (%lld tensors)\n",
              static_cast<long long>(numbers[0]),
              static_cast<long long>(counts[0]));
  std::printf("state: %lld (%lld tensors)\n",
              static_cast<long long>(numbers[1]),
              static_cast<long long>(counts[1]));
  std::printf("momentum buffers: %lld (%lld tensors)\n",
              static_cast<long long>(numbers[2]),
              static_cast<long long>(counts[2]));
  std::printf("arena bytes: %lld (%.1f MiB)\n",
              static_cast<long long>(model.arenaBytes()),
              static_cast<double>(model.arenaBytes()) / (1 << 20));
  std::printf("default hyper: lr %g, momentum %g, weight decay %g\n", h.lr,
              h.momentum, h.weightDecay);
  return 0;
}

// Under an MPI launcher every rank loads the checkpoint and scores its
// slice of the test set; rank 0 prints the whole set's result.
int runEval(const TrainerOptions &o, CompiledModel &model,
            Communicator &comm) {
  const bool lead = comm.rank() == 0;
  const OpenedData data = openData(o.data, model, lead);
  const std::string path =
      o.checkpointFile.empty() ? checkpointPath(o) : o.checkpointFile;
  const CheckpointInfo info = loadCheckpoint(path, model);
  const EvalResult r = evaluateOnRanks(
      model, *data.testSource(model.batch(), comm.rank(), comm.size()), comm);
  if (!lead)
    return 0;
  if (comm.size() > 1)
    std::printf("ranks: %d (each scored its slice of the test set)\n",
                comm.size());
  std::printf("checkpoint: %s (model '%s', epoch %lld)\n", path.c_str(),
              info.model.c_str(), static_cast<long long>(info.epoch));
  std::printf("test samples: %lld\n", static_cast<long long>(r.samples));
  std::printf("test top-1 error: %.2f%%\n", r.top1Err);
  std::printf("test top-5 error: %.2f%%\n", r.top5Err);
  std::printf("test loss: %.6f\n", r.loss);
  return 0;
}

// Loads the checkpoint (DIR/last.safetensors or --checkpoint) and writes
// its weights in the requested form.
int runExport(const TrainerOptions &o, CompiledModel &model) {
  const std::string path =
      o.checkpointFile.empty() ? checkpointPath(o) : o.checkpointFile;
  const CheckpointInfo info = loadCheckpoint(path, model);
  exportForm(model, o.form, o.output,
             {{"model", model.name()},
              {"epoch", std::to_string(info.epoch)},
              {"source", path}});
  std::printf("exported %s (epoch %lld) in form (%c) to %s\n", path.c_str(),
              static_cast<long long>(info.epoch), o.form, o.output.c_str());
  return 0;
}

// --threads 0 (one per core) with several ranks on this host: when the
// launcher did not bind ranks to cores, share the cores among them.
int threadsPerRank(int threads, const Communicator *comm) {
  if (threads != 0 || !comm || comm->localSize() <= 1)
    return threads;
  setNumThreads(0);
  const int available = numThreads(); // respects the affinity mask
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (available < cores)
    return 0; // bound by the launcher: use what this rank was given
  return std::max(1, available / comm->localSize());
}

} // namespace

int runTrainer(int argc, char **argv, CompiledModel &model) {
  const std::string program = programName(argc, argv);
  TrainerOptions options;
  std::string error;
  if (!parseFlags(argc, argv, options, error)) {
    std::fprintf(stderr, "%s: error: %s\n%s", program.c_str(), error.c_str(),
                 usage(program).c_str());
    return 2;
  }
  if (options.help) {
    std::printf("%s", usage(program).c_str());
    return 0;
  }
  if (options.batch && *options.batch != model.batch()) {
    std::fprintf(stderr,
                 "%s: error: --batch %lld does not match batch %lld, which "
                 "model '%s' was built for; rebuild with `cardinal build %s "
                 "--batch %lld`\n",
                 program.c_str(), static_cast<long long>(*options.batch),
                 static_cast<long long>(model.batch()), model.name().c_str(),
                 model.name().c_str(), static_cast<long long>(*options.batch));
    return 2;
  }
  if (!options.checkpointFile.empty() && options.command != "eval" &&
      options.command != "export" && options.command != "predict") {
    // Training always reads and writes DIR/last.safetensors; silently
    // ignoring a file the user named would be worse than refusing.
    std::fprintf(stderr,
                 "%s: error: --checkpoint is for eval, export and predict; "
                 "%s uses --checkpoint-dir DIR (DIR/last.safetensors)\n",
                 program.c_str(), options.command.c_str());
    return 2;
  }
  // `train` and `eval` run on every rank an MPI launcher started (--ranks);
  // the other commands are single-process.
  std::unique_ptr<Communicator> comm;
  try {
    if (options.command == "info")
      return printInfo(model);
    if (options.command == "train" || options.command == "eval") {
      RanksMode mode = RanksMode::Auto;
      parseRanksMode(options.ranks, mode); // validated by parseFlags
      comm = createCommunicator(mode, options.commTimeout);
    }
    setNumThreads(threadsPerRank(options.threads, comm.get()));
    if (options.command == "eval")
      return runEval(options, model, *comm);
    if (options.command == "export")
      return runExport(options, model);
    if (options.command == "predict")
      return runPredict(options, model);
    if (options.command == "bench") {
      runBench(model, options.steps, 5, options.seed.value_or(0),
               options.profile);
      return 0;
    }
    return runTrain(options, model, *comm);
  } catch (const std::exception &e) {
    // One rank failing leaves the others waiting in a collective: end the
    // whole job now, with the reason, rather than at the timeout.
    if (comm && comm->size() > 1)
      comm->abort(program + ": " + comm->where() + ": error: " + e.what(), 1);
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), e.what());
    return 1;
  }
}

} // namespace cardinal::rt
