//===- RandomValues.cpp - random parameters and inputs for a function -----===//
//
// Each tensor is drawn from a splitmix64 stream seeded by (seed, name), so a
// name's value does not depend on which other names a function has or on
// their order: the per-path parameters of forms (a) and (c) of a block come
// out the same, and a test can concatenate them into the other form's.
//
//===----------------------------------------------------------------------===//
#include "interp/Hash.h"
#include "interp/Interpreter.h"
#include "interp/ParamSpecs.h"
#include "ir/NNDialect.h"
#include "ir/NNGradOps.h"

#include <cmath>
#include <type_traits>

using namespace mlir;

namespace cardinal::interp {
namespace {

double uniform01(uint64_t &state) { // [0, 1) with 53 random bits
  return double(splitmix64Next(state) >> 11) * 0x1.0p-53;
}

double normal(uint64_t &state) { // Box-Muller
  double u1 = 1.0 - uniform01(state), u2 = uniform01(state);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

/// Fan-in of a linear bias: dim 1 of the weight of the nn.linear it feeds.
int64_t biasFanIn(const ValueSpec &s) {
  for (Operation *user : s.op->getResult(0).getUsers())
    if (auto lin = dyn_cast<nn::LinearOp>(user))
      if (lin.getBias() == s.op->getResult(0))
        return cast<ShapedType>(lin.getWeight().getType()).getShape()[1];
  return s.shape.empty() ? 1 : s.shape[0];
}

/// One float draw at the scale `s.init` suggests. "ones" stays positive (a
/// valid running variance, a scale near 1); "zeros" is centred on 0.
double drawFloat(const ValueSpec &s, uint64_t &state) {
  const std::vector<int64_t> &sh = s.shape;
  int64_t receptive = sh.size() == 4 ? sh[2] * sh[3] : 1;
  if (s.init == "he_normal") { // MSR init, fan-out mode (as in the paper)
    int64_t fanOut = sh.empty() ? 1 : sh[0] * receptive;
    return normal(state) * std::sqrt(2.0 / double(fanOut));
  }
  if (s.init == "linear_uniform") {
    int64_t fanIn = sh.size() >= 2 ? sh[1] * receptive : biasFanIn(s);
    double bound = 1.0 / std::sqrt(double(fanIn));
    return (2.0 * uniform01(state) - 1.0) * bound;
  }
  if (s.init == "ones")
    return 0.5 + uniform01(state);
  return uniform01(state) - 0.5; // "zeros" and anything else
}

template <typename T>
HostTensor<T> randomTensor(const ValueSpec &s, uint64_t seed,
                           int64_t classes) {
  uint64_t state = hashCombine(seed, hashString(s.name));
  HostTensor<T> t(s.shape);
  for (T &x : t.data) {
    if (s.isInteger) { // class labels
      int64_t k = int64_t(uniform01(state) * double(classes));
      if constexpr (std::is_same_v<T, GF61>)
        x = GF61::fromInt(k);
      else
        x = T(k);
    } else if constexpr (std::is_same_v<T, GF61>) {
      x = GF61::random(state);
    } else if (s.init.empty()) { // an image-like input
      x = T(2.0 * uniform01(state) - 1.0);
    } else {
      x = T(drawFloat(s, state));
    }
  }
  return t;
}

/// The classes of the softmax_cross_entropy (or its gradient) reading
/// `labels`, or 10.
int64_t classesOf(const ValueSpec &s) {
  for (Operation *user : s.op->getResult(0).getUsers()) {
    if (auto loss = dyn_cast<nn::SoftmaxCrossEntropyOp>(user))
      if (loss.getLabels() == s.op->getResult(0))
        return cast<ShapedType>(loss.getLogits().getType()).getShape()[1];
    if (auto grad = dyn_cast<nn::SoftmaxCrossEntropyGradOp>(user))
      if (grad.getLabels() == s.op->getResult(0))
        return cast<ShapedType>(grad.getLogits().getType()).getShape()[1];
  }
  return 10;
}

} // namespace

template <typename T> TensorMap<T> randomParams(func::FuncOp f, uint64_t seed) {
  TensorMap<T> m;
  for (const ValueSpec &s : paramSpecs(f))
    m.emplace(s.name, randomTensor<T>(s, seed, 0));
  return m;
}

template <typename T> TensorMap<T> randomInputs(func::FuncOp f, uint64_t seed) {
  TensorMap<T> m;
  for (const ValueSpec &s : inputSpecs(f))
    m.emplace(s.name,
              randomTensor<T>(s, seed, s.isInteger ? classesOf(s) : 0));
  return m;
}

template TensorMap<float> randomParams<float>(func::FuncOp, uint64_t);
template TensorMap<double> randomParams<double>(func::FuncOp, uint64_t);
template TensorMap<GF61> randomParams<GF61>(func::FuncOp, uint64_t);
template TensorMap<float> randomInputs<float>(func::FuncOp, uint64_t);
template TensorMap<double> randomInputs<double>(func::FuncOp, uint64_t);
template TensorMap<GF61> randomInputs<GF61>(func::FuncOp, uint64_t);

} // namespace cardinal::interp
