//===- Cifar.h - CIFAR-10 / CIFAR-100 binary-format reader
//-----------------===//
//
// The paper's CIFAR experiments read the official "binary version" files.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_CIFAR_H
#define CARDINAL_RUNTIME_DATA_CIFAR_H

#include "runtime/data/Dataset.h"

#include <string>

namespace cardinal::rt {

/// Loads CIFAR from `dir` (or its `cifar-10-batches-bin` / `cifar-100-binary`
/// subfolder, as the archives extract):
/// - CIFAR-10: data_batch_1..5.bin + test_batch.bin, records of 1 label byte
///   + 3072 pixel bytes; 10 classes.
/// - CIFAR-100: train.bin + test.bin, records of coarse + fine label bytes +
///   3072 pixel bytes; the fine label is used; 100 classes.
/// Pixels are stored channel-planar (R plane, G plane, B plane, each 32x32
/// row-major), which is already CHW. Normalization: pixels / 255, then the
/// per-channel mean/std of the train split (on the real CIFAR-10 train set
/// these are the published 0.4914/0.4822/0.4465, 0.2470/0.2435/0.2616).
/// File sizes must be a non-zero multiple of the record size and labels in
/// range; violations throw std::runtime_error naming the file.
DataSplit loadCifar(const std::string &dir);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_CIFAR_H
