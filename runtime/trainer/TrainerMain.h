//===- TrainerMain.h - the trainer binary's entry point --------------------===//
//
// Every generated trainer's main() is `return runTrainer(argc, argv,
// *createCompiledModel());` (main.cpp in CardinalTrainerMain), so all its
// behaviour — commands, flags, errors, exit codes — lives here.
//
// Exit codes: 0 success; 1 bad data, checkpoint or I/O (the message names
// the file / tensor); 2 bad command line (usage printed) or a command that
// is not implemented yet.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_TRAINERMAIN_H
#define CARDINAL_RUNTIME_TRAINER_TRAINERMAIN_H

#include "runtime/trainer/CompiledModel.h"

namespace cardinal::rt {

/// `train` (default) | `eval` | `info` | `export`, with flags; see usage().
int runTrainer(int argc, char **argv, CompiledModel &model);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_TRAINERMAIN_H
