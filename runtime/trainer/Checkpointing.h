//===- Checkpointing.h - last.safetensors: model tensors + run state -------===//
//
// A checkpoint holds every NamedTensor (F32, under its own name, so PyTorch
// tools can load it) and, as safetensors metadata, what a resumed run needs
// to continue bit-identically: completed epochs, seed, the trainer RNG's
// four state words and the optimizer/schedule settings.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_CHECKPOINTING_H
#define CARDINAL_RUNTIME_TRAINER_CHECKPOINTING_H

#include "runtime/trainer/CompiledModel.h"

#include <array>
#include <cstdint>
#include <string>

namespace cardinal::rt {

/// Bumped whenever the metadata's meaning changes; older files are refused.
constexpr int kCheckpointFormatVersion = 1;
constexpr const char *kCheckpointFormat = "cardinal-trainer-checkpoint";

struct CheckpointInfo {
  std::string model;
  int64_t epoch = 0;  ///< epochs completed
  int64_t epochs = 0; ///< the run's total
  uint64_t seed = 0;
  std::array<uint64_t, 4> rng{}; ///< Random::state() after the last epoch
  std::string schedule;          ///< LrSchedule::spec()
  int64_t warmup = 0;
  double lr = 0, momentum = 0, weightDecay = 0; ///< base values
  int64_t batch = 0;
  std::string data; ///< the --data spec
};

/// Atomically writes `path` (see writeSafeTensors). Throws
/// std::runtime_error naming the file.
void saveCheckpoint(const std::string &path, CompiledModel &model,
                    const CheckpointInfo &info);

/// Validates `path` completely against the model — every tensor present, F32,
/// of the model's shape, no extra tensors, readable metadata — and only then
/// copies the tensors into the model, so a bad file leaves it untouched.
/// Throws std::runtime_error("<path>: <problem naming the tensor/key>").
CheckpointInfo loadCheckpoint(const std::string &path, CompiledModel &model);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_CHECKPOINTING_H
