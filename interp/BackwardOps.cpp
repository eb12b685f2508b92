//===- BackwardOps.cpp - the interpreter's backward ops --------------------===//
//
// Plain loops from GradKernels.h, each the mirror of its forward kernel.
// Degrees are tracked as for forward ops (the exact check never needs them:
// backward ops are not evaluated over GF).
//
//===----------------------------------------------------------------------===//
#include "interp/BackwardOps.h"

#include "interp/Degree.h"
#include "interp/FusedTrainKernels.h"
#include "interp/GradKernels.h"
#include "ir/NNFusedOps.h"
#include "ir/NNGradOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace cardinal::interp {

using detail::checkLabels;
using detail::shapeOf;
using detail::Val;
using detail::vec;

namespace {

template <typename T> struct Backward {
  using Get = llvm::function_ref<const Val<T> &(mlir::Value)>;

  /// A float value with no GF labels; `degree` as the caller bounds it.
  static Val<T> plain(HostTensor<T> t, uint64_t degree) {
    return Val<T>{std::move(t), {}, degree};
  }

  static nn::Conv2dAttrs convAttrsOf(ArrayRef<int64_t> s, ArrayRef<int64_t> p,
                                   ArrayRef<int64_t> d, int64_t g) {
    nn::Conv2dAttrs a;
    a.strides = vec(s);
    a.padding = vec(p);
    a.dilation = vec(d);
    a.groups = g;
    return a;
  }

  static FailureOr<Val<T>> evalConvGradInput(nn::Conv2dGradInputOp op, Get get) {
    const Val<T> &dy = get(op.getGradOutput()),
                 &w = get(op.getWeight());
    auto a = convAttrsOf(op.getStrides(), op.getPadding(), op.getDilation(),
                         static_cast<int64_t>(op.getGroups()));
    return plain(kernels::conv2dGradInput(dy.t, w.t, a,
                                          shapeOf(op.getResult())),
                 degree::product(dy.degree, w.degree));
  }

  static FailureOr<Val<T>> evalConvGradWeight(nn::Conv2dGradWeightOp op, Get get) {
    const Val<T> &x = get(op.getInput()),
                 &dy = get(op.getGradOutput());
    auto a = convAttrsOf(op.getStrides(), op.getPadding(), op.getDilation(),
                         static_cast<int64_t>(op.getGroups()));
    return plain(kernels::conv2dGradWeight(x.t, dy.t, a,
                                           shapeOf(op.getResult())),
                 degree::product(x.degree, dy.degree));
  }

  static FailureOr<Val<T>> evalBiasGrad(nn::BiasGradOp op, Get get) {
    const Val<T> &dy = get(op.getGradOutput());
    return plain(kernels::biasGrad(dy.t), dy.degree);
  }

  static FailureOr<std::vector<Val<T>>> evalBatchNormGrad(nn::BatchNormGradOp op,
                                                 Get get) {
    const Val<T> &dy = get(op.getGradOutput()),
                 &x = get(op.getInput()),
                 &scale = get(op.getScale());
    kernels::BatchNormGrads<T> g = kernels::batchNormGrad(
        dy.t, x.t, scale.t, op.getEps().convertToDouble());
    // 1/sqrt of the batch variance: not a polynomial.
    const uint64_t d = degree::kInfiniteDegree;
    std::vector<Val<T>> rs;
    rs.push_back(plain(std::move(g.input), d));
    rs.push_back(plain(std::move(g.scale), d));
    rs.push_back(plain(std::move(g.shift), dy.degree));
    return rs;
  }

  /// nn.bn_relu_grad: batch_norm_grad(relu_grad(dy, y), x, scale).
  static FailureOr<std::vector<Val<T>>> evalBnReluGrad(nn::BnReluGradOp op,
                                              Get get) {
    const Val<T> &dy = get(op.getGradOutput()),
                 &y = get(op.getOutput()),
                 &x = get(op.getInput()),
                 &scale = get(op.getScale());
    HostTensor<T> masked = kernels::reluGrad(dy.t, y.t);
    kernels::BatchNormGrads<T> g = kernels::batchNormGrad(
        masked, x.t, scale.t, op.getEps().convertToDouble());
    const uint64_t d = degree::kInfiniteDegree;
    std::vector<Val<T>> rs;
    rs.push_back(plain(std::move(g.input), d));
    rs.push_back(plain(std::move(g.scale), d));
    rs.push_back(plain(std::move(g.shift), d));
    return rs;
  }

  /// relu(BN(x)) recomputed from x and its statistics, as the fused
  /// backward ops do.
  static HostTensor<T> bnReluOf(Get get, Value x, Value mean, Value invstd,
                                Value scale, Value shift) {
    return kernels::relu(kernels::batchNormWithStats(
        get(x).t, get(mean).t, get(invstd).t, get(scale).t, get(shift).t));
  }

  static std::vector<Val<T>> gradsOf(kernels::BatchNormGrads<T> g,
                                     HostTensor<T> *residual = nullptr) {
    const uint64_t d = degree::kInfiniteDegree;
    std::vector<Val<T>> rs;
    rs.push_back(plain(std::move(g.input), d));
    if (residual)
      rs.push_back(plain(std::move(*residual), d));
    rs.push_back(plain(std::move(g.scale), d));
    rs.push_back(plain(std::move(g.shift), d));
    return rs;
  }

  /// nn.bn_relu_apply_grad: batch_norm_grad(relu_grad(dy, relu(BN(x))), x).
  static FailureOr<std::vector<Val<T>>>
  evalBnReluApplyGrad(nn::BnReluApplyGradOp op, Get get) {
    HostTensor<T> y = bnReluOf(get, op.getInput(), op.getMean(),
                               op.getInvstd(), op.getScale(), op.getShift());
    HostTensor<T> masked = kernels::reluGrad(get(op.getGradOutput()).t, y);
    return gradsOf(kernels::batchNormGradWithStats(
        masked, get(op.getInput()).t, get(op.getMean()).t,
        get(op.getInvstd()).t, get(op.getScale()).t));
  }

  /// nn.conv2d_grad_input_bn_sums: dy = conv2d_grad_input(dz, w), and the
  /// BN's (dscale, dshift) of relu_grad(dy, relu(BN(x))): the reductions of
  /// nn.bn_relu_apply_grad, computed as it computes them.
  static FailureOr<std::vector<Val<T>>>
  evalConvGradInputBnSums(nn::Conv2dGradInputBnSumsOp op, Get get) {
    auto a = convAttrsOf(op.getStrides(), op.getPadding(), op.getDilation(),
                         static_cast<int64_t>(op.getGroups()));
    HostTensor<T> dy =
        kernels::conv2dGradInput(get(op.getGradOutput()).t,
                                 get(op.getWeight()).t, a,
                                 shapeOf(op.getResult()));
    HostTensor<T> y = bnReluOf(get, op.getInput(), op.getMean(),
                               op.getInvstd(), op.getScale(), op.getShift());
    HostTensor<T> masked = kernels::reluGrad(dy, y);
    auto g = kernels::batchNormGradWithStats(
        masked, get(op.getInput()).t, get(op.getMean()).t,
        get(op.getInvstd()).t, get(op.getScale()).t);
    const uint64_t d = degree::kInfiniteDegree;
    std::vector<Val<T>> rs;
    rs.push_back(plain(std::move(dy),
                       degree::product(get(op.getGradOutput()).degree,
                                       get(op.getWeight()).degree)));
    rs.push_back(plain(std::move(g.scale), d));
    rs.push_back(plain(std::move(g.shift), d));
    return rs;
  }

  /// nn.bn_relu_apply_grad_input: nn.bn_relu_apply_grad's dx from the given
  /// reductions.
  static FailureOr<Val<T>>
  evalBnReluApplyGradInput(nn::BnReluApplyGradInputOp op, Get get) {
    HostTensor<T> y = bnReluOf(get, op.getInput(), op.getMean(),
                               op.getInvstd(), op.getScale(), op.getShift());
    HostTensor<T> masked = kernels::reluGrad(get(op.getGradOutput()).t, y);
    return plain(kernels::batchNormGradInputWithSums(
                     masked, get(op.getInput()).t, get(op.getMean()).t,
                     get(op.getInvstd()).t, get(op.getScale()).t,
                     get(op.getGradScale()).t, get(op.getGradShift()).t),
                 degree::kInfiniteDegree);
  }

  /// nn.bn_add_relu_grad: dresidual = relu_grad(dy, y), then BN's grads.
  static FailureOr<std::vector<Val<T>>>
  evalBnAddReluGrad(nn::BnAddReluGradOp op, Get get) {
    HostTensor<T> masked =
        kernels::reluGrad(get(op.getGradOutput()).t, get(op.getOutput()).t);
    auto g = kernels::batchNormGradWithStats(
        masked, get(op.getInput()).t, get(op.getMean()).t,
        get(op.getInvstd()).t, get(op.getScale()).t);
    return gradsOf(std::move(g), &masked);
  }

  static FailureOr<Val<T>>
  evalBnReluConvGradWeight(nn::BnReluConv2dGradWeightOp op, Get get) {
    HostTensor<T> x = bnReluOf(get, op.getInput(), op.getMean(),
                               op.getInvstd(), op.getScale(), op.getShift());
    auto a = convAttrsOf(op.getStrides(), op.getPadding(), op.getDilation(),
                         static_cast<int64_t>(op.getGroups()));
    return plain(kernels::conv2dGradWeight(x, get(op.getGradOutput()).t, a,
                                           shapeOf(op.getResult())),
                 degree::kInfiniteDegree);
  }

  static FailureOr<Val<T>> evalReluGrad(nn::ReluGradOp op, Get get) {
    const Val<T> &dy = get(op.getGradOutput()),
                 &y = get(op.getOutput());
    return plain(kernels::reluGrad(dy.t, y.t), degree::kInfiniteDegree);
  }

  static FailureOr<Val<T>> evalSliceGrad(nn::SliceGradOp op, Get get) {
    const Val<T> &dy = get(op.getGradOutput());
    return plain(kernels::sliceGrad(dy.t, static_cast<int64_t>(op.getAxis()),
                                    static_cast<int64_t>(op.getStart()),
                                    shapeOf(op.getResult())),
                 dy.degree);
  }

  static FailureOr<Val<T>> evalMaxPoolGrad(nn::MaxPool2dGradOp op, Get get) {
    const Val<T> &dy = get(op.getGradOutput()),
                 &x = get(op.getInput());
    return plain(kernels::maxPool2dGrad(dy.t, x.t, vec(op.getKernel()),
                                        vec(op.getStrides()),
                                        vec(op.getPadding())),
                 degree::kInfiniteDegree);
  }

  static FailureOr<Val<T>> evalGlobalAvgPoolGrad(nn::GlobalAvgPoolGradOp op,
                                        Get get) {
    const Val<T> &dy = get(op.getGradOutput());
    return plain(kernels::globalAvgPoolGrad(dy.t, shapeOf(op.getResult())),
                 dy.degree);
  }

  static FailureOr<Val<T>> evalLinearGradInput(nn::LinearGradInputOp op, Get get) {
    const Val<T> &dy = get(op.getGradOutput()),
                 &w = get(op.getWeight());
    return plain(kernels::linearGradInput(dy.t, w.t),
                 degree::product(dy.degree, w.degree));
  }

  static FailureOr<Val<T>> evalLinearGradWeight(nn::LinearGradWeightOp op, Get get) {
    const Val<T> &x = get(op.getInput()),
                 &dy = get(op.getGradOutput());
    return plain(kernels::linearGradWeight(x.t, dy.t),
                 degree::product(x.degree, dy.degree));
  }

  static FailureOr<Val<T>> evalSoftmaxCrossEntropyGrad(
    nn::SoftmaxCrossEntropyGradOp op, Get get) {
    const Val<T> &logits = get(op.getLogits()),
                 &labels = get(op.getLabels());
    if (failed(checkLabels(op, logits.t, labels.t)))
      return failure();
    return plain(kernels::softmaxCrossEntropyGrad(logits.t, labels.t),
                 degree::kInfiniteDegree);
  }
};

} // namespace

bool isBackwardOp(Operation *op) {
  return isa<nn::Conv2dGradInputOp, nn::Conv2dGradWeightOp, nn::BiasGradOp,
             nn::BatchNormGradOp, nn::BnReluGradOp, nn::ReluGradOp,
             nn::BnReluApplyGradOp, nn::BnAddReluGradOp,
             nn::BnReluConv2dGradWeightOp, nn::Conv2dGradInputBnSumsOp,
             nn::BnReluApplyGradInputOp,
             nn::SliceGradOp, nn::MaxPool2dGradOp, nn::GlobalAvgPoolGradOp,
             nn::LinearGradInputOp, nn::LinearGradWeightOp,
             nn::SoftmaxCrossEntropyGradOp>(op);
}

template <typename T>
FailureOr<std::vector<Val<T>>>
evalBackwardOp(Operation *op,
               llvm::function_ref<const Val<T> &(mlir::Value)> get) {
  using B = Backward<T>;
  if (auto g = dyn_cast<nn::BatchNormGradOp>(op))
    return B::evalBatchNormGrad(g, get);
  if (auto g = dyn_cast<nn::BnReluGradOp>(op))
    return B::evalBnReluGrad(g, get);
  if (auto g = dyn_cast<nn::BnReluApplyGradOp>(op))
    return B::evalBnReluApplyGrad(g, get);
  if (auto g = dyn_cast<nn::BnAddReluGradOp>(op))
    return B::evalBnAddReluGrad(g, get);
  if (auto g = dyn_cast<nn::Conv2dGradInputBnSumsOp>(op))
    return B::evalConvGradInputBnSums(g, get);
  FailureOr<Val<T>> r =
      llvm::TypeSwitch<Operation *, FailureOr<Val<T>>>(op)
          .template Case<nn::Conv2dGradInputOp>(
              [&](auto o) { return B::evalConvGradInput(o, get); })
          .template Case<nn::Conv2dGradWeightOp>(
              [&](auto o) { return B::evalConvGradWeight(o, get); })
          .template Case<nn::BnReluConv2dGradWeightOp>(
              [&](auto o) { return B::evalBnReluConvGradWeight(o, get); })
          .template Case<nn::BnReluApplyGradInputOp>(
              [&](auto o) { return B::evalBnReluApplyGradInput(o, get); })
          .template Case<nn::BiasGradOp>(
              [&](auto o) { return B::evalBiasGrad(o, get); })
          .template Case<nn::ReluGradOp>(
              [&](auto o) { return B::evalReluGrad(o, get); })
          .template Case<nn::SliceGradOp>(
              [&](auto o) { return B::evalSliceGrad(o, get); })
          .template Case<nn::MaxPool2dGradOp>(
              [&](auto o) { return B::evalMaxPoolGrad(o, get); })
          .template Case<nn::GlobalAvgPoolGradOp>(
              [&](auto o) { return B::evalGlobalAvgPoolGrad(o, get); })
          .template Case<nn::LinearGradInputOp>(
              [&](auto o) { return B::evalLinearGradInput(o, get); })
          .template Case<nn::LinearGradWeightOp>(
              [&](auto o) { return B::evalLinearGradWeight(o, get); })
          .template Case<nn::SoftmaxCrossEntropyGradOp>(
              [&](auto o) { return B::evalSoftmaxCrossEntropyGrad(o, get); })
          .Default([&](Operation *o) -> FailureOr<Val<T>> {
            return o->emitError() << "not a backward op: '" << o->getName()
                                  << "'";
          });
  if (failed(r))
    return failure();
  std::vector<Val<T>> rs;
  rs.push_back(std::move(*r));
  return rs;
}

template FailureOr<std::vector<Val<float>>>
evalBackwardOp(Operation *, llvm::function_ref<const Val<float> &(mlir::Value)>);
template FailureOr<std::vector<Val<double>>>
evalBackwardOp(Operation *,
               llvm::function_ref<const Val<double> &(mlir::Value)>);

} // namespace cardinal::interp
