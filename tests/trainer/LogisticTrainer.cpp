//===- LogisticTrainer.cpp - stands in for a generated trainer.cpp ---------===//
//
// Defines only createCompiledModel(), as generated code does; main() comes
// from CardinalTrainerMain. Used by the smoke and link-line tests.
//
//===----------------------------------------------------------------------===//

#include "LogisticModel.h"

namespace cardinal::rt {

std::unique_ptr<CompiledModel> createCompiledModel() {
  return std::make_unique<trainertest::LogisticModel>();
}

} // namespace cardinal::rt
