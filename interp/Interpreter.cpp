//===- Interpreter.cpp - the reference evaluator of nn functions ----------===//
//
// A tree walk over the function body: each op's value is computed from its
// operands' values with the kernels of Kernels.h (GFKernels.h for GF61's
// channelwise stand-ins) and kept in an environment keyed by mlir::Value.
// Beside each tensor we carry its GF channel labels (GF61 only) and a degree
// bound (cheap, so for every T).
//
// The backward ops of --nn-autodiff (ir/NNGradOps.td) are evaluated in float
// and double by BackwardOps.cpp; nn.batch_norm_grad is the one op with
// several results. In GF(2^61-1) they are reported as unsupported, as is
// nn.sgd_update everywhere (a side effect on a parameter, not a value).
//
//===----------------------------------------------------------------------===//
#include "interp/Interpreter.h"

#include "interp/BackwardOps.h"
#include "interp/EvalValue.h"

#include "interp/Degree.h"
#include "interp/FusedTrainKernels.h"
#include "interp/GFKernels.h"
#include "interp/Kernels.h"
#include "interp/ParamSpecs.h"
#include "ir/NNDialect.h"
#include "ir/NNFusedOps.h"
#include "ir/NNGradOps.h"
#include "ir/ShapeRules.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <sstream>
#include <type_traits>

using namespace mlir;

namespace cardinal::interp {
namespace {

using detail::checkLabels;
using detail::kIsGF;
using detail::shapeOf;
using detail::Val;
using detail::vec;

template <typename T> class Evaluator {
public:
  using Env = llvm::DenseMap<mlir::Value, Val<T>>;

  Evaluator(const TensorMap<T> &params, const TensorMap<T> &inputs,
            const EvalOptions &opts)
      : params_(params), inputs_(inputs), opts_(opts) {}

  /// Evaluates `block` up to its terminator (func.return or nn.yield) and
  /// returns the terminator's operands; records top-level values in `trace`.
  FailureOr<std::vector<Val<T>>> run(Block &block, Env &env,
                                     EvalTrace<T> *trace) {
    // A value is dropped after its last user: whole networks then need
    // memory for their live activations only, not for every op's result.
    llvm::DenseMap<mlir::Value, Operation *> lastUser;
    for (Operation &op : block)
      for (mlir::Value v : op.getOperands())
        lastUser[v] = &op;
    for (Operation &op : block) {
      if (isa<func::ReturnOp, nn::YieldOp>(op)) {
        std::vector<Val<T>> results;
        for (mlir::Value v : op.getOperands())
          results.push_back(env.find(v)->second);
        return results;
      }
      if (failed(checkOperands(op, env)))
        return failure();
      FailureOr<std::vector<Val<T>>> rs = evalResults(op, env);
      if (failed(rs))
        return failure();
      for (unsigned i = 0; i < op.getNumResults(); ++i)
        if (failed(checkResultShape(op, i, (*rs)[i].t)))
          return failure();
      for (unsigned i = 0; i < op.getNumResults(); ++i) {
        if (trace)
          trace->values.emplace_back(&op, (*rs)[i].t);
        if (!op.getResult(i).use_empty()) // e.g. batch_norm_grad's unused dx
          env[op.getResult(i)] = std::move((*rs)[i]);
      }
      for (mlir::Value v : op.getOperands())
        if (lastUser.lookup(v) == &op)
          env.erase(v);
    }
    return emitError(block.getParent()->getLoc())
           << "block has no func.return or nn.yield terminator";
  }

private:
  const TensorMap<T> &params_, &inputs_;
  EvalOptions opts_;
  std::vector<int64_t> path_; // aggregate path indices, outermost first

  // Operands are defined earlier in the same block (SSA, and aggregates are
  // isolated from above) except function arguments, which nn graphs do not
  // use: inputs are nn.input ops.
  LogicalResult checkOperands(Operation &op, Env &env) {
    for (OpOperand &o : op.getOpOperands())
      if (!env.count(o.get()))
        return op.emitError() << "operand #" << o.getOperandNumber()
                              << " has no value (graph inputs must be "
                                 "nn.input ops, not function arguments)";
    return success();
  }

  // Catches kernel/attribute disagreements before they propagate silently.
  LogicalResult checkResultShape(Operation &op, unsigned i,
                                 const HostTensor<T> &t) {
    std::vector<int64_t> declared = shapeOf(op.getResult(i));
    if (t.shape != declared)
      return op.emitError() << "interpreter computed shape "
                            << nn::formatShape(t.shape)
                            << " but the op declares "
                            << nn::formatShape(declared);
    return success();
  }

  const Val<T> &get(Env &env, mlir::Value v) { return env.find(v)->second; }

  /// One value per result of `op` (exactly op.getNumResults() on success).
  FailureOr<std::vector<Val<T>>> evalResults(Operation &op, Env &env) {
    if (isBackwardOp(&op)) {
      if constexpr (kIsGF<T>) {
        return op.emitError() << "'" << op.getName()
                              << "' is unsupported in GF(2^61-1): backward "
                                 "ops are evaluated in float and double only";
      } else {
        return evalBackwardOp<T>(&op, [&](mlir::Value v) -> const Val<T> & {
          return get(env, v);
        });
      }
    }
    if (auto stats = dyn_cast<nn::Conv2dStatsOp>(op))
      return evalConvStats(stats, env);
    if (auto stats = dyn_cast<nn::BnReluConv2dStatsOp>(op))
      return evalBnReluConvStats(stats, env);
    if (op.getNumResults() != 1) { // nn.sgd_update, unknown ops
      if (failed(evalOp(op, env))) // reports why
        return failure();
      return op.emitError() << "the reference interpreter does not support '"
                            << op.getName() << "' with "
                            << op.getNumResults() << " results";
    }
    FailureOr<Val<T>> r = evalOp(op, env);
    if (failed(r))
      return failure();
    std::vector<Val<T>> rs;
    rs.push_back(std::move(*r));
    return rs;
  }

  FailureOr<Val<T>> evalOp(Operation &op, Env &env) {
    return llvm::TypeSwitch<Operation *, FailureOr<Val<T>>>(&op)
        .template Case<nn::InputOp>([&](auto o) { return evalInput(o); })
        .template Case<nn::ParamOp>([&](auto o) {
          return evalNamed(o, o.getName(), "parameter");
        })
        .template Case<nn::StateOp>([&](auto o) {
          return evalNamed(o, o.getName(), "state");
        })
        .template Case<nn::Conv2dOp>([&](auto o) { return evalConv(o, env); })
        .template Case<nn::BatchNormOp>(
            [&](auto o) { return evalBatchNorm(o, env); })
        .template Case<nn::ReluOp>([&](auto o) { return evalRelu(o, env); })
        .template Case<nn::BnTrainReluOp>(
            [&](auto o) { return evalBnTrainRelu(o, env); })
        .template Case<nn::AddOp>([&](auto o) { return evalAdd(o, env); })
        .template Case<nn::BnReluConv2dOp>(
            [&](auto o) { return evalBnReluConv(o, env); })
        .template Case<nn::BnAddReluOp>(
            [&](auto o) { return evalBnAddRelu(o, env); })
        .template Case<nn::Conv2dBnActOp>(
            [&](auto o) { return evalConvBnAct(o, env); })
        .template Case<nn::ConcatOp>(
            [&](auto o) { return evalConcat(o, env); })
        .template Case<nn::SliceOp>([&](auto o) { return evalSlice(o, env); })
        .template Case<nn::MaxPool2dOp>(
            [&](auto o) { return evalMaxPool(o, env); })
        .template Case<nn::GlobalAvgPoolOp>(
            [&](auto o) { return evalGlobalAvgPool(o, env); })
        .template Case<nn::LinearOp>(
            [&](auto o) { return evalLinear(o, env); })
        .template Case<nn::SoftmaxCrossEntropyOp>(
            [&](auto o) { return evalSoftmaxCrossEntropy(o, env); })
        .template Case<nn::AggregateOp>(
            [&](auto o) { return evalAggregate(o, env); })
        // Backward ops (--nn-autodiff).
        .template Case<nn::SgdUpdateOp>([&](auto o) -> FailureOr<Val<T>> {
          return o->emitError()
                 << "the reference interpreter does not support "
                    "'nn.sgd_update' (an in-place update of a parameter, "
                    "compiled into the trainer; evaluate the gradients "
                    "before --nn-sgd)";
        })
        .Default([&](Operation *o) -> FailureOr<Val<T>> {
          return o->emitError()
                 << "the reference interpreter does not support '"
                 << o->getName() << "'";
        });
  }

  /// A supplied tensor must have the declared shape and a matching size.
  LogicalResult checkSupplied(Operation *op, const char *what,
                              const std::string &name,
                              const HostTensor<T> &t) {
    std::vector<int64_t> declared = shapeOf(op->getResult(0));
    if (t.shape != declared)
      return op->emitError() << what << " '" << name << "' has shape "
                             << nn::formatShape(t.shape)
                             << " but the op declares "
                             << nn::formatShape(declared);
    if (t.numel() != HostTensor<T>::numelOf(t.shape))
      return op->emitError() << what << " '" << name << "' holds "
                             << t.numel() << " elements but its shape "
                             << nn::formatShape(t.shape) << " needs "
                             << HostTensor<T>::numelOf(t.shape);
    return success();
  }

  FailureOr<Val<T>> evalInput(nn::InputOp op) {
    std::string name = op.getName().str();
    auto it = inputs_.find(name);
    if (it == inputs_.end())
      return op->emitError() << "no value for input '" << name << "'";
    if (failed(checkSupplied(op, "input", name, it->second)))
      return failure();
    Val<T> v{it->second, {}, 1};
    if constexpr (kIsGF<T>)
      v.labels = gf::inputLabels(name, v.t.shape);
    return v;
  }

  /// nn.param / nn.state, looked up under this path's name.
  FailureOr<Val<T>> evalNamed(Operation *op, StringRef name,
                              const char *what) {
    std::string full = resolvePathName(name.str(), path_);
    auto it = params_.find(full);
    if (it == params_.end())
      return op->emitError() << "no value for " << what << " '" << full
                             << "'";
    if (failed(checkSupplied(op, what, full, it->second)))
      return failure();
    Val<T> v{it->second, {}, 1};
    if constexpr (kIsGF<T>)
      v.labels = gf::unlabeled(v.t.shape);
    return v;
  }

  FailureOr<Val<T>> evalConv(nn::Conv2dOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput()), &w = get(env, op.getWeight());
    const Val<T> *b = op.getBias() ? &get(env, op.getBias()) : nullptr;
    nn::Conv2dAttrs a;
    a.strides = vec(op.getStrides());
    a.padding = vec(op.getPadding());
    a.dilation = vec(op.getDilation());
    a.groups = static_cast<int64_t>(op.getGroups());
    Val<T> y;
    y.t = kernels::conv2d(x.t, w.t, b ? &b->t : nullptr, a);
    y.degree = degree::product(x.degree, w.degree, b ? b->degree : 0);
    if constexpr (kIsGF<T>)
      y.labels = gf::unlabeled(y.t.shape);
    return y;
  }

  FailureOr<Val<T>> evalLinear(nn::LinearOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput()), &w = get(env, op.getWeight());
    const Val<T> *b = op.getBias() ? &get(env, op.getBias()) : nullptr;
    Val<T> y;
    y.t = kernels::linear(x.t, w.t, b ? &b->t : nullptr);
    y.degree = degree::product(x.degree, w.degree, b ? b->degree : 0);
    if constexpr (kIsGF<T>)
      y.labels = gf::unlabeled(y.t.shape);
    return y;
  }

  FailureOr<Val<T>> evalBatchNorm(nn::BatchNormOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput());
    const Val<T> &scale = get(env, op.getScale()),
                 &shift = get(env, op.getShift()),
                 &mean = get(env, op.getRunningMean()),
                 &var = get(env, op.getRunningVar());
    const bool training = op.getTraining();
    Val<T> y;
    y.degree = training ? degree::batchNormTrain(x.degree, scale.degree,
                                                 shift.degree)
                        : degree::batchNormEval(x.degree, scale.degree,
                                                shift.degree, mean.degree,
                                                var.degree);
    const double eps = op.getEps().convertToDouble();
    if constexpr (kIsGF<T>) {
      y.labels = gf::batchNormLabels(scale.t, shift.t, mean.t, var.t);
      y.t = training ? gf::batchNormTrain(x.t, scale.t, shift.t, y.labels,
                                          eps, opts_.gfKey)
                     : gf::batchNormEval(x.t, scale.t, shift.t, mean.t, var.t,
                                         y.labels, eps, opts_.gfKey);
    } else {
      y.t = training ? kernels::batchNormTrain(x.t, scale.t, shift.t, eps)
                     : kernels::batchNormEval(x.t, scale.t, shift.t, mean.t,
                                              var.t, eps);
    }
    return y;
  }

  /// nn.bn_train_relu: exactly the composition of training-mode BN (with its
  /// keyed 1/sqrt over GF) and the keyed ReLU, as the unfused ops evaluate.
  FailureOr<Val<T>> evalBnTrainRelu(nn::BnTrainReluOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput());
    const Val<T> &scale = get(env, op.getScale()),
                 &shift = get(env, op.getShift()),
                 &mean = get(env, op.getRunningMean()),
                 &var = get(env, op.getRunningVar());
    Val<T> y;
    y.degree = degree::batchNormTrain(x.degree, scale.degree, shift.degree);
    const double eps = op.getEps().convertToDouble();
    if constexpr (kIsGF<T>) {
      y.labels = gf::batchNormLabels(scale.t, shift.t, mean.t, var.t);
      y.t = gf::batchNormTrain(x.t, scale.t, shift.t, y.labels, eps,
                               opts_.gfKey);
    } else {
      (void)mean;
      (void)var;
      y.t = kernels::batchNormTrain(x.t, scale.t, shift.t, eps);
    }
    return reluOf(y);
  }

  /// nn.conv2d_stats: (conv, batch mean, 1/sqrt(var + eps)).
  FailureOr<std::vector<Val<T>>> evalConvStats(nn::Conv2dStatsOp op,
                                               Env &env) {
    const Val<T> &x = get(env, op.getInput());
    return withStats(op, convOf(x, get(env, op.getWeight()), op.getStrides(),
                                op.getPadding(), op.getDilation(),
                                op.getGroups()),
                     env);
  }

  /// nn.bn_relu_conv2d_stats: the prologue of nn.bn_relu_conv2d, the
  /// epilogue of nn.conv2d_stats.
  FailureOr<std::vector<Val<T>>>
  evalBnReluConvStats(nn::BnReluConv2dStatsOp op, Env &env) {
    Val<T> r = reluOf(bnWithStats(
        get(env, op.getInput()), get(env, op.getInMean()),
        get(env, op.getInInvstd()), get(env, op.getInScale()),
        get(env, op.getInShift())));
    return withStats(op, convOf(r, get(env, op.getWeight()), op.getStrides(),
                                op.getPadding(), op.getDilation(),
                                op.getGroups()),
                     env);
  }

  Val<T> convOf(const Val<T> &x, const Val<T> &w, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
                uint64_t groups) {
    nn::Conv2dAttrs a;
    a.strides = vec(strides);
    a.padding = vec(padding);
    a.dilation = vec(dilation);
    a.groups = static_cast<int64_t>(groups);
    Val<T> y;
    y.t = kernels::conv2d(x.t, w.t, nullptr, a);
    y.degree = degree::product(x.degree, w.degree);
    if constexpr (kIsGF<T>)
      y.labels = gf::unlabeled(y.t.shape);
    return y;
  }

  /// (y, batch mean, 1/sqrt(var + eps)) of a statistics op. Over GF the
  /// 1/sqrt is the BN's keyed one; the BN's output labels ride on `invstd`
  /// (rank 1, otherwise unlabeled) for the consumers' keyed ReLU.
  template <typename StatsOp>
  std::vector<Val<T>> withStats(StatsOp op, Val<T> y, Env &env) {
    const double eps = op.getEps().convertToDouble();
    Val<T> mean, invstd;
    mean.degree = y.degree;
    invstd.degree = degree::kInfiniteDegree; // never an output's bound
    if constexpr (kIsGF<T>) {
      invstd.labels = gf::batchNormLabels(
          get(env, op.getScale()).t, get(env, op.getShift()).t,
          get(env, op.getRunningMean()).t, get(env, op.getRunningVar()).t);
      auto s = gf::batchStats(y.t, invstd.labels, eps, opts_.gfKey);
      mean.t = std::move(s.mean);
      invstd.t = std::move(s.invstd);
    } else {
      auto s = kernels::batchStats(y.t, eps);
      mean.t = std::move(s.mean);
      invstd.t = std::move(s.invstd);
    }
    std::vector<Val<T>> rs;
    rs.push_back(std::move(y));
    rs.push_back(std::move(mean));
    rs.push_back(std::move(invstd));
    return rs;
  }

  /// BN applied with statistics from nn.conv2d_stats: the value (and GF
  /// labels) the unfused training BN gives.
  Val<T> bnWithStats(const Val<T> &x, const Val<T> &mean, const Val<T> &invstd,
                     const Val<T> &scale, const Val<T> &shift) {
    Val<T> y;
    y.t = kernels::batchNormWithStats(x.t, mean.t, invstd.t, scale.t, shift.t);
    y.degree = degree::batchNormTrain(x.degree, scale.degree, shift.degree);
    if constexpr (kIsGF<T>)
      y.labels = invstd.labels;
    return y;
  }

  /// nn.bn_relu_conv2d: conv(relu(BN(x))), composed as the unfused ops.
  FailureOr<Val<T>> evalBnReluConv(nn::BnReluConv2dOp op, Env &env) {
    Val<T> r = reluOf(bnWithStats(get(env, op.getInput()),
                                  get(env, op.getMean()),
                                  get(env, op.getInvstd()),
                                  get(env, op.getScale()),
                                  get(env, op.getShift())));
    return convOf(r, get(env, op.getWeight()), op.getStrides(),
                  op.getPadding(), op.getDilation(), op.getGroups());
  }

  /// nn.bn_add_relu: relu(BN(x) + residual).
  FailureOr<Val<T>> evalBnAddRelu(nn::BnAddReluOp op, Env &env) {
    Val<T> n = bnWithStats(get(env, op.getInput()), get(env, op.getMean()),
                           get(env, op.getInvstd()), get(env, op.getScale()),
                           get(env, op.getShift()));
    return reluOf(sum(n, get(env, op.getResidual())));
  }

  FailureOr<Val<T>> evalRelu(nn::ReluOp op, Env &env) {
    return reluOf(get(env, op.getInput()));
  }

  Val<T> reluOf(const Val<T> &x) {
    Val<T> y;
    y.degree = degree::cubic(x.degree);
    if constexpr (kIsGF<T>) {
      y.labels = x.labels;
      y.t = gf::relu(x.t, x.labels, opts_.gfKey);
    } else {
      y.t = kernels::relu(x.t);
    }
    return y;
  }

  /// nn.conv2d_bn_act: exactly the composition of the unfused ops' values
  /// (conv, eval BN with its keyed 1/sqrt over GF, add, relu), so the exact
  /// check compares a fused graph with the unfused one function for function.
  FailureOr<Val<T>> evalConvBnAct(nn::Conv2dBnActOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput()), &w = get(env, op.getWeight());
    nn::Conv2dAttrs a;
    a.strides = vec(op.getStrides());
    a.padding = vec(op.getPadding());
    a.dilation = vec(op.getDilation());
    a.groups = static_cast<int64_t>(op.getGroups());
    Val<T> c;
    c.t = kernels::conv2d(x.t, w.t, nullptr, a);
    c.degree = degree::product(x.degree, w.degree);
    if constexpr (kIsGF<T>)
      c.labels = gf::unlabeled(c.t.shape);
    Val<T> y = batchNormEvalOf(c, get(env, op.getScale()),
                               get(env, op.getShift()),
                               get(env, op.getRunningMean()),
                               get(env, op.getRunningVar()),
                               op.getEps().convertToDouble());
    if (op.getResidual())
      y = sum(y, get(env, op.getResidual()));
    if (op.getRelu())
      y = reluOf(y);
    return y;
  }

  Val<T> batchNormEvalOf(const Val<T> &x, const Val<T> &scale,
                         const Val<T> &shift, const Val<T> &mean,
                         const Val<T> &var, double eps) {
    Val<T> y;
    y.degree = degree::batchNormEval(x.degree, scale.degree, shift.degree,
                                     mean.degree, var.degree);
    if constexpr (kIsGF<T>) {
      y.labels = gf::batchNormLabels(scale.t, shift.t, mean.t, var.t);
      y.t = gf::batchNormEval(x.t, scale.t, shift.t, mean.t, var.t, y.labels,
                              eps, opts_.gfKey);
    } else {
      y.t = kernels::batchNormEval(x.t, scale.t, shift.t, mean.t, var.t, eps);
    }
    return y;
  }

  FailureOr<Val<T>> evalAdd(nn::AddOp op, Env &env) {
    const Val<T> &a = get(env, op.getLhs()), &b = get(env, op.getRhs());
    return sum(a, b);
  }

  static Val<T> sum(const Val<T> &a, const Val<T> &b) {
    Val<T> y;
    y.t = kernels::add(a.t, b.t);
    y.degree = std::max(a.degree, b.degree);
    if constexpr (kIsGF<T>)
      y.labels = gf::mergeLabels(a.labels, b.labels);
    return y;
  }

  FailureOr<Val<T>> evalConcat(nn::ConcatOp op, Env &env) {
    const int64_t axis = static_cast<int64_t>(op.getAxis());
    std::vector<const HostTensor<T> *> parts;
    Val<T> y;
    y.degree = 0;
    for (mlir::Value in : op.getInputs()) {
      const Val<T> &v = get(env, in);
      parts.push_back(&v.t);
      y.degree = std::max(y.degree, v.degree);
      if constexpr (kIsGF<T>) {
        // Along channels the labels concatenate; along any other axis each
        // channel holds every operand's, merged as add merges them.
        if (axis == 1 || parts.size() == 1)
          y.labels.insert(y.labels.end(), v.labels.begin(), v.labels.end());
        else
          y.labels = gf::mergeLabels(y.labels, v.labels);
      }
    }
    y.t = kernels::concat(parts, axis);
    return y;
  }

  FailureOr<Val<T>> evalSlice(nn::SliceOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput());
    const int64_t axis = static_cast<int64_t>(op.getAxis()),
                  start = static_cast<int64_t>(op.getStart()),
                  size = static_cast<int64_t>(op.getSize());
    Val<T> y;
    y.t = kernels::slice(x.t, axis, start, size);
    y.degree = x.degree;
    if constexpr (kIsGF<T>)
      y.labels = axis == 1 ? gf::Labels(x.labels.begin() + start,
                                        x.labels.begin() + start + size)
                           : x.labels;
    return y;
  }

  FailureOr<Val<T>> evalMaxPool(nn::MaxPool2dOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput());
    Val<T> y{{}, x.labels, x.degree};
    auto k = vec(op.getKernel()), s = vec(op.getStrides()),
         p = vec(op.getPadding());
    if constexpr (kIsGF<T>)
      y.t = kernels::sumPool2d(x.t, k, s, p); // documented stand-in
    else
      y.t = kernels::maxPool2d(x.t, k, s, p);
    return y;
  }

  FailureOr<Val<T>> evalGlobalAvgPool(nn::GlobalAvgPoolOp op, Env &env) {
    const Val<T> &x = get(env, op.getInput());
    return Val<T>{kernels::globalAvgPool(x.t), x.labels, x.degree};
  }

  FailureOr<Val<T>> evalSoftmaxCrossEntropy(nn::SoftmaxCrossEntropyOp op,
                                            Env &env) {
    if constexpr (kIsGF<T>) {
      return op->emitError() << "softmax_cross_entropy has no "
                                "GF(2^61-1) semantics (exp/log are not "
                                "field operations)";
    } else {
      const Val<T> &logits = get(env, op.getLogits()),
                   &labels = get(env, op.getLabels());
      if (failed(checkLabels(op, logits.t, labels.t)))
        return failure();
      // Not a polynomial: the degree bound is meaningless here.
      return Val<T>{kernels::softmaxCrossEntropy(logits.t, labels.t), {},
                    degree::kInfiniteDegree};
    }
  }

  /// Σ_{i<C} T_i(x): the template evaluated once per path index.
  FailureOr<Val<T>> evalAggregate(nn::AggregateOp op, Env &env) {
    Block &body = op.getBody().front();
    const Val<T> &input = get(env, op.getInput());
    Val<T> total;
    for (int64_t i = 0; i < (int64_t)op.getCardinality(); ++i) {
      Env inner; // each path starts afresh from the same input
      inner[body.getArgument(0)] = input;
      path_.push_back(i);
      FailureOr<std::vector<Val<T>>> r = run(body, inner, nullptr);
      path_.pop_back();
      if (failed(r))
        return failure();
      total = i == 0 ? std::move((*r)[0]) : sum(total, (*r)[0]);
    }
    return total;
  }
};

} // namespace

template <typename T>
FailureOr<std::vector<HostTensor<T>>>
evaluate(func::FuncOp f, const TensorMap<T> &params,
         const TensorMap<T> &inputs, const EvalOptions &opts,
         EvalTrace<T> *trace, uint64_t *degreeBound) {
  if (f.isExternal())
    return f.emitError() << "cannot evaluate a function without a body";
  if (f.getNumArguments() != 0)
    return f.emitError() << "the reference interpreter takes graph inputs "
                            "from nn.input ops; the function has "
                         << f.getNumArguments() << " arguments";
  Evaluator<T> ev(params, inputs, opts);
  typename Evaluator<T>::Env env;
  FailureOr<std::vector<Val<T>>> r = ev.run(f.getBody().front(), env, trace);
  if (failed(r))
    return failure();
  std::vector<HostTensor<T>> outputs;
  uint64_t bound = 0;
  for (Val<T> &v : *r) {
    bound = std::max(bound, v.degree);
    outputs.push_back(std::move(v.t));
  }
  if (degreeBound)
    *degreeBound = bound;
  return outputs;
}

template FailureOr<std::vector<HostTensor<float>>>
evaluate(func::FuncOp, const TensorMap<float> &, const TensorMap<float> &,
         const EvalOptions &, EvalTrace<float> *, uint64_t *);
template FailureOr<std::vector<HostTensor<double>>>
evaluate(func::FuncOp, const TensorMap<double> &, const TensorMap<double> &,
         const EvalOptions &, EvalTrace<double> *, uint64_t *);
template FailureOr<std::vector<HostTensor<GF61>>>
evaluate(func::FuncOp, const TensorMap<GF61> &, const TensorMap<GF61> &,
         const EvalOptions &, EvalTrace<GF61> *, uint64_t *);

} // namespace cardinal::interp
