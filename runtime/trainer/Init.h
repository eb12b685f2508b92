//===- Init.h - fresh-run initialization of a model's tensors --------------===//
//
// The paper trains from MSR (He) initialization: convolutions draw
// N(0, sqrt(2 / fan_out)) as torchvision's kaiming_normal_(mode="fan_out"),
// the classifier uses PyTorch's nn.Linear default U(±1/sqrt(fan_in)).
// Every draw comes from one Random in tensors() order, so a seed fixes the
// initial weights bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_INIT_H
#define CARDINAL_RUNTIME_TRAINER_INIT_H

#include "runtime/Random.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdint>
#include <vector>

namespace cardinal::rt {

/// shape[0] · prod(shape[2:]) (output channels × receptive field).
int64_t fanOut(const std::vector<int64_t> &shape);
/// prod(shape[1:]) (input channels × receptive field); shape[0] for 1-D.
int64_t fanIn(const std::vector<int64_t> &shape);

/// Fills every tensor by its `init`: he_normal, linear_uniform (a 1-D
/// "<layer>.bias" takes the fan_in of "<layer>.weight"), ones, zeros.
/// Velocities are zeroed whatever their init says. Throws
/// std::runtime_error naming the tensor on an unknown init, a null buffer or
/// a bias without its weight.
void initializeTensors(std::vector<NamedTensor> &tensors, Random &rng);

/// One batch for a step without data (`trainer bench`, the step harness of
/// tests/e2e): N(0, 1) pixels drawn from `rng` in order, label i mod
/// classes.
struct RandomBatch {
  std::vector<float> images;
  std::vector<int32_t> labels;
};
RandomBatch randomBatch(const CompiledModel &model, Random &rng);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_INIT_H
