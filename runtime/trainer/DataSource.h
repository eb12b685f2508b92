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

#include "runtime/data/BatchSource.h"
#include "runtime/data/Batcher.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/ImageFolder.h"

#include <cstdint>
#include <memory>
#include <string>

namespace cardinal::rt {

class CompiledModel;

struct DataSpec {
  enum class Kind { Digits, Synthetic, Cifar, ImageNet };
  Kind kind = Kind::Digits;
  std::string path;      ///< Digits: csv.gz (empty: defaultDigitsPath()); Cifar, ImageNet: dir
  int64_t samples = 2048; ///< Synthetic: train samples (test: ceil(n/5))
  std::string text = "digits"; ///< as given, for messages
  int decodeThreads = 0; ///< ImageNet: JPEG decode threads (0: one per core)
};

/// Parses "digits", "digits:FILE", "synthetic", "synthetic:N", "cifar:DIR",
/// "imagenet:DIR".
bool parseDataSpec(const std::string &text, DataSpec &out, std::string &error);

/// The data a command works on, opened once: in-memory splits (digits,
/// synthetic, cifar), or an ImageNet-style folder (DIR/train, DIR/val; see
/// runtime/data/ImageFolder.h) whose JPEGs are decoded on a thread pool as
/// batches are drawn: train with random-resized-crop + flip, test with
/// resize + centre crop, both to the model's H = W, ImageNet-normalized.
struct OpenedData {
  DataSpec spec;
  std::shared_ptr<const DataSplit> memory;        ///< in-memory kinds
  std::shared_ptr<const ImageFolderIndex> folder; ///< ImageNet
  int64_t imageSide = 0;                          ///< ImageNet: S

  int64_t trainSize() const;
  int64_t testSize() const;
  /// Training batches. Uses batchSize, shuffle, dropLast, seed, rank and
  /// worldSize of `options`; its augment applies to in-memory data only
  /// (the folder always random-resized-crops and flips).
  std::unique_ptr<BatchSource> trainSource(const BatcherOptions &options) const;
  /// The test split in order, in batches of `batch`: all of it, or with
  /// worldSize > 1 the contiguous slice `rank` (the slices cover every
  /// sample once; sizes differ by at most one).
  std::unique_ptr<BatchSource> testSource(int64_t batch, int rank = 0,
                                          int worldSize = 1) const;
};

/// Loads or scans the data and checks it fits the model (as loadData). For
/// ImageNet, with `announce`, prints the split sizes and the class mapping
/// on stdout ("data imagenet:DIR: 1281167 train, 50000 val images; 1000
/// classes: 0=n01440764 ..."); data-parallel ranks other than 0 pass false.
OpenedData openData(const DataSpec &spec, const CompiledModel &model,
                    bool announce = true);

/// Loads the data (synthetic data takes the model's shape and classes) and
/// checks it fits the model: C×H×W and the class count must match. Throws
/// std::runtime_error naming the file / both shapes. In-memory kinds only
/// (ImageNet is streamed: openData).
DataSplit loadData(const DataSpec &spec, const CompiledModel &model);

/// Throws unless `model` takes RGB S x S images, what the JPEG pipeline
/// (imagenet:DIR, trainer predict) makes; `where` names the source.
void requireJpegInput(const CompiledModel &model, const std::string &where);
/// Throws unless `classes` (folders in spec.path/train) is the model's class
/// count.
void requireFolderClasses(const DataSpec &spec, const CompiledModel &model,
                          int64_t classes);

/// Training augmentation for the source: pad 4 + flip for CIFAR, none else.
Augment augmentationFor(const DataSpec &spec);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_DATASOURCE_H
