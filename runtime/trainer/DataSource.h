//===- DataSource.h - the --data flag: which dataset, shaped how -----------===//
//
// Trainers take their data by a short spec so the same binary trains on the
// bundled digits, synthetic benchmark data or CIFAR. The split is fixed (data
// seed 0), independent of --seed: runs with different seeds see the same test
// set and stay comparable.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_DATASOURCE_H
#define CARDINAL_RUNTIME_TRAINER_DATASOURCE_H

#include "runtime/data/Batcher.h"
#include "runtime/data/Dataset.h"

#include <cstdint>
#include <string>

namespace cardinal::rt {

class CompiledModel;

struct DataSpec {
  enum class Kind { Digits, Synthetic, Cifar };
  Kind kind = Kind::Digits;
  std::string path;      ///< Digits: csv.gz (empty: defaultDigitsPath()); Cifar: dir
  int64_t samples = 2048; ///< Synthetic: train samples (test: ceil(n/5))
  std::string text = "digits"; ///< as given, for messages
};

/// Parses "digits", "digits:FILE", "synthetic", "synthetic:N", "cifar:DIR".
bool parseDataSpec(const std::string &text, DataSpec &out, std::string &error);

/// Loads the data (synthetic data takes the model's shape and classes) and
/// checks it fits the model: C×H×W and the class count must match. Throws
/// std::runtime_error naming the file / both shapes.
DataSplit loadData(const DataSpec &spec, const CompiledModel &model);

/// Training augmentation for the source: pad 4 + flip for CIFAR, none else.
Augment augmentationFor(const DataSpec &spec);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_DATASOURCE_H
