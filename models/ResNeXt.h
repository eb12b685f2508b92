//===- ResNeXt.h - the paper's networks, written in the DSL ---------------===//
#ifndef CARDINAL_MODELS_RESNEXT_H
#define CARDINAL_MODELS_RESNEXT_H

#include "frontend/DSL.h"

namespace cardinal::models {

/// One network of the paper's family (Table 1, Sec. 5).
struct ResNeXtSpec {
  bool cifar = false;           // CIFAR stem (3x3, no pool) vs ImageNet stem
  std::vector<int> blocks;      // blocks per stage
  int64_t cardinality = 32;     // C
  int64_t bottleneckWidth = 4;  // d of the first stage; doubles per stage
  int64_t stemWidth = 64;
  int64_t firstStageWidth = 256; // block output width w; doubles per stage
  bool plain = false;           // ResNet bottleneck (no nn.aggregate)
  int64_t defaultImage = 224;
  int64_t defaultClasses = 1000;
};

/// y = relu(shortcut(x) + BN(sum_{i<C} T_i(x))), each T_i a
/// 1x1(w_in->d), 3x3(d->d, stride), 1x1(d->w) path (Fig. 1 right / Fig. 3a).
dsl::Tensor resnextBlock(dsl::Graph &g, dsl::Tensor x, int64_t cardinality,
                         int64_t d, int64_t width, int64_t stride);

/// The ResNet bottleneck (C = 1, written without an aggregate).
dsl::Tensor bottleneckBlock(dsl::Graph &g, dsl::Tensor x, int64_t innerWidth,
                            int64_t width, int64_t stride);

/// Builds the whole network: stem, stages, global pool, fc; output logits.
void buildResNeXt(dsl::Graph &g, const ResNeXtSpec &spec,
                  const dsl::ModelOptions &options);

} // namespace cardinal::models

#endif // CARDINAL_MODELS_RESNEXT_H
