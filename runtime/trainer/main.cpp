//===- main.cpp - main() of every generated trainer ------------------------===//
//
// Kept in its own library (CardinalTrainerMain) so tests can link the trainer
// without a main() and generated code needs to define only the model.
//
//===----------------------------------------------------------------------===//

#include "runtime/trainer/TrainerMain.h"

int main(int argc, char **argv) {
  return cardinal::rt::runTrainer(argc, argv,
                                  *cardinal::rt::createCompiledModel());
}
