//===- Train.h - the `train` command: the epoch loop -----------------------===//
//
// Fresh run: initialize from --seed. --resume: restore tensors, epoch and RNG
// from DIR/last.safetensors and continue. Each epoch: shuffle seeded by
// (seed, epoch), trainStep over full batches, evaluate, append metrics, write
// the checkpoint. Nothing else draws randomness, so with a fixed thread count
// a resumed run ends bit-identical to an uninterrupted one.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_TRAIN_H
#define CARDINAL_RUNTIME_TRAINER_TRAIN_H

#include "runtime/comm/Communicator.h"
#include "runtime/trainer/CompiledModel.h"
#include "runtime/trainer/Flags.h"

namespace cardinal::rt {

/// Runs `train`; returns the exit code. Throws std::runtime_error (naming
/// the file or tensor) on bad data, checkpoints, I/O or a diverged loss.
int runTrain(const TrainerOptions &options, CompiledModel &model);

/// runTrain as rank comm.rank() of comm.size() data-parallel ranks (see
/// runtime/trainer/Parallel.h); with a size-1 communicator exactly the
/// single-process run. Every rank calls it with the same options.
int runTrain(const TrainerOptions &options, CompiledModel &model,
             Communicator &comm);

/// DIR/last.safetensors.
std::string checkpointPath(const TrainerOptions &options);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_TRAIN_H
