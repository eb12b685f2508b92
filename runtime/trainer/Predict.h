//===- Predict.h - `trainer predict`: classify JPEG files -----------------===//
//
// The inference entry point from the command line: a checkpoint's model on
// image files, preprocessed as `--data imagenet`'s evaluation (short side
// resized, centre crop, ImageNet normalization), in batches of the built
// batch size (the last one padded). Prints one line per image with its top
// classes and softmax probabilities; with `--data imagenet:DIR` the classes
// are DIR/train's folder names.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_PREDICT_H
#define CARDINAL_RUNTIME_TRAINER_PREDICT_H

#include "runtime/trainer/CompiledModel.h"
#include "runtime/trainer/Flags.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cardinal::rt {

struct ClassScore {
  int64_t index = 0;
  double probability = 0;
};

/// The k most probable classes of one sample's logits (softmax), most
/// probable first; equal logits rank the lower index first (as top-k
/// accuracy does, Evaluate.h). k is capped at the class count.
std::vector<ClassScore> topClasses(const float *logits, int64_t classes,
                                   int64_t k);

/// "PATH: banana 87.3%, apple 10.2%, cherry 2.5%"; names[index] where
/// given, else "class N".
std::string formatPrediction(const std::string &path,
                             const std::vector<ClassScore> &top,
                             const std::vector<std::string> &names);

/// `trainer predict [--checkpoint FILE] [--data imagenet:DIR] [--top K]
/// IMAGE...`: loads the checkpoint, classifies every image. An unreadable
/// image is reported on stderr (the others are still classified) and makes
/// the exit status 1. Throws std::runtime_error if the model does not take
/// 3xSxS images.
int runPredict(const TrainerOptions &options, CompiledModel &model);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_PREDICT_H
