//===- KernelPlan.cpp - from a planned nn function to kernel calls ---------===//
#include "codegen/KernelPlan.h"

#include "ir/NNDialect.h"
#include "ir/NNFusedOps.h"
#include "ir/NNGradOps.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <set>
#include <sstream>

using namespace mlir;
namespace nn = cardinal::nn;

namespace cardinal::codegen {

namespace {

std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

class PlanBuilder {
public:
  explicit PlanBuilder(KernelPlan &plan) : plan(plan) {}

  LogicalResult run(func::FuncOp f) {
    plan.function = f.getName().str();
    if (auto a = f->getAttrOfType<IntegerAttr>("nn.arena_bytes"))
      plan.arenaBytes = a.getInt();
    else
      return f.emitError() << "kernel plan: run --nn-memory-plan first";
    for (Operation &op : f.getBody().front()) {
      if (isa<func::ReturnOp>(op)) {
        for (Value v : op.getOperands()) {
          auto b = buffer(v);
          if (failed(b))
            return failure();
          plan.results.push_back(*b);
        }
        continue;
      }
      if (failed(visit(&op)))
        return failure();
    }
    return success();
  }

private:
  void addTensor(const std::string &name, const std::string &kind,
                 const std::string &init, const std::vector<int64_t> &shape) {
    if (seen.insert(name).second)
      plan.tensors.push_back({name, kind, init, shape});
  }

  FailureOr<Buffer> buffer(Value v) {
    Buffer b;
    b.shape = shapeOf(v);
    Operation *def = v.getDefiningOp();
    if (auto p = dyn_cast_or_null<nn::ParamOp>(def)) {
      b.kind = Buffer::Kind::Persistent;
      b.name = p.getName().str();
      addTensor(b.name, "param", p.getInit().str(), b.shape);
      return b;
    }
    if (auto s = dyn_cast_or_null<nn::StateOp>(def)) {
      b.kind = Buffer::Kind::Persistent;
      b.name = s.getName().str();
      addTensor(b.name, "state", s.getInit().str(), b.shape);
      return b;
    }
    if (auto in = dyn_cast_or_null<nn::InputOp>(def)) {
      if (in.getName() == "labels") {
        b.kind = Buffer::Kind::Labels;
        return b;
      }
      if (b.shape.size() != 4)
        return def->emitError() << "kernel plan: the image input must be NCHW";
      b.kind = Buffer::Kind::Images;
      plan.imageShape = b.shape;
      return b;
    }
    auto offsets = def ? def->getAttrOfType<DenseI64ArrayAttr>("nn.offset")
                       : DenseI64ArrayAttr();
    if (!offsets)
      return (def ? def->emitError() : emitError(v.getLoc()))
             << "kernel plan: value has no planned buffer";
    b.kind = Buffer::Kind::Arena;
    b.offset = offsets[cast<OpResult>(v).getResultNumber()];
    return b;
  }

  LogicalResult call(Operation *op, const std::string &kernel,
                     ArrayRef<Value> inputs, ArrayRef<Value> outputs,
                     KernelCall c = {}) {
    c.kernel = kernel;
    std::string loc;
    llvm::raw_string_ostream os(loc);
    os << op->getName() << " " << op->getLoc();
    c.origin = os.str();
    for (Value v : inputs) {
      auto b = buffer(v);
      if (failed(b))
        return failure();
      c.inputs.push_back(*b);
    }
    for (Value v : outputs) {
      auto b = buffer(v);
      if (failed(b))
        return failure();
      c.outputs.push_back(*b);
      producer[v.getAsOpaquePointer()] = plan.calls.size();
    }
    plan.calls.push_back(std::move(c));
    return success();
  }

  static KernelCall convAttrs(ArrayRef<int64_t> s, ArrayRef<int64_t> p,
                              ArrayRef<int64_t> d, int64_t groups) {
    KernelCall c;
    c.ints = {{"stride_h", s[0]}, {"stride_w", s[1]}, {"pad_h", p[0]},
              {"pad_w", p[1]},    {"dilation_h", d[0]}, {"dilation_w", d[1]},
              {"groups", groups}};
    return c;
  }

  // The attributes of a BN forward call; training-mode BNs register as the
  // owner of the saved statistics their backward reads.
  KernelCall bnForward(Value input, Value scale, const llvm::APFloat &eps,
                       const llvm::APFloat &momentum, bool training) {
    KernelCall c;
    c.reals = {{"eps", eps.convertToDouble()},
               {"momentum", momentum.convertToDouble()}};
    std::string owner = scale.getDefiningOp<nn::ParamOp>()
                            .getName()
                            .rsplit('.')
                            .first.str();
    c.names["bn"] = owner;
    bnNames[{input.getAsOpaquePointer(), scale.getAsOpaquePointer()}] = owner;
    if (training) {
      int64_t channels = shapeOf(scale)[0];
      addTensor(owner + ".saved_mean", "scratch", "zeros", {channels});
      addTensor(owner + ".saved_invstd", "scratch", "zeros", {channels});
    }
    return c;
  }

  // BN owners: the batch-norm op whose saved statistics a grad op reads.
  std::string bnOwner(Value input, Value scale) {
    return bnNames[{input.getAsOpaquePointer(), scale.getAsOpaquePointer()}];
  }

  LogicalResult visit(Operation *op) {
    return llvm::TypeSwitch<Operation *, LogicalResult>(op)
        .Case<nn::ParamOp, nn::StateOp, nn::InputOp>([&](Operation *o) {
          return buffer(o->getResult(0)); // registers persistent tensors
        })
        .Case<nn::Conv2dOp>([&](nn::Conv2dOp c) {
          SmallVector<Value> ins{c.getInput(), c.getWeight()};
          if (c.getBias())
            ins.push_back(c.getBias());
          return call(op, "conv2d_forward", ins, {c.getResult()},
                      convAttrs(c.getStrides(), c.getPadding(), c.getDilation(),
                                c.getGroups()));
        })
        .Case<nn::Conv2dBnActOp>([&](nn::Conv2dBnActOp c) {
          SmallVector<Value> ins{c.getInput(),       c.getWeight(),
                                 c.getScale(),       c.getShift(),
                                 c.getRunningMean(), c.getRunningVar()};
          if (c.getResidual())
            ins.push_back(c.getResidual());
          KernelCall k = convAttrs(c.getStrides(), c.getPadding(),
                                   c.getDilation(), c.getGroups());
          k.ints["relu"] = c.getRelu() ? 1 : 0;
          k.ints["residual"] = c.getResidual() ? 1 : 0;
          k.reals["eps"] = c.getEps().convertToDouble();
          return call(op, "conv2d_bn_act", ins, {c.getResult()}, k);
        })
        .Case<nn::Conv2dGradInputOp>([&](nn::Conv2dGradInputOp c) {
          return call(op, "conv2d_backward_data", {c.getGradOutput(), c.getWeight()},
                      {c.getResult()},
                      convAttrs(c.getStrides(), c.getPadding(), c.getDilation(),
                                c.getGroups()));
        })
        .Case<nn::Conv2dGradWeightOp>([&](nn::Conv2dGradWeightOp c) {
          return call(op, "conv2d_backward_weight", {c.getInput(), c.getGradOutput()},
                      {c.getResult()},
                      convAttrs(c.getStrides(), c.getPadding(), c.getDilation(),
                                c.getGroups()));
        })
        .Case<nn::BiasGradOp>([&](nn::BiasGradOp b) {
          return call(op, "bias_grad", {b.getGradOutput()}, {b.getResult()});
        })
        .Case<nn::BatchNormOp>([&](nn::BatchNormOp bn) {
          return call(op, bn.getTraining() ? "batch_norm_train" : "batch_norm_eval",
                      {bn.getInput(), bn.getScale(), bn.getShift(),
                       bn.getRunningMean(), bn.getRunningVar()},
                      {bn.getResult()},
                      bnForward(bn.getInput(), bn.getScale(), bn.getEps(),
                                bn.getMomentum(), bn.getTraining()));
        })
        .Case<nn::BatchNormGradOp>([&](nn::BatchNormGradOp g) -> LogicalResult {
          KernelCall c;
          c.reals = {{"eps", g.getEps().convertToDouble()}};
          c.names["bn"] = bnOwner(g.getInput(), g.getScale());
          if (c.names["bn"].empty())
            return op->emitError() << "kernel plan: batch_norm_grad has no "
                                      "matching training-mode batch_norm";
          return call(op, "batch_norm_backward",
                      {g.getGradOutput(), g.getInput(), g.getScale()},
                      {g.getGradInput(), g.getGradScale(), g.getGradShift()}, c);
        })
        .Case<nn::BnTrainReluOp>([&](nn::BnTrainReluOp bn) {
          return call(op, "bn_train_relu",
                      {bn.getInput(), bn.getScale(), bn.getShift(),
                       bn.getRunningMean(), bn.getRunningVar()},
                      {bn.getResult()},
                      bnForward(bn.getInput(), bn.getScale(), bn.getEps(),
                                bn.getMomentum(), /*training=*/true));
        })
        .Case<nn::BnReluGradOp>([&](nn::BnReluGradOp g) -> LogicalResult {
          KernelCall c;
          c.reals = {{"eps", g.getEps().convertToDouble()}};
          c.names["bn"] = bnOwner(g.getInput(), g.getScale());
          if (c.names["bn"].empty())
            return op->emitError() << "kernel plan: bn_relu_grad has no "
                                      "matching nn.bn_train_relu";
          return call(op, "bn_relu_backward",
                      {g.getGradOutput(), g.getOutput(), g.getInput(),
                       g.getScale()},
                      {g.getGradInput(), g.getGradScale(), g.getGradShift()}, c);
        })
        // The conv-level training fusion: statistics as values.
        .Case<nn::Conv2dStatsOp>([&](nn::Conv2dStatsOp c) {
          KernelCall k = convAttrs(c.getStrides(), c.getPadding(),
                                   c.getDilation(), c.getGroups());
          k.reals = {{"eps", c.getEps().convertToDouble()},
                     {"momentum", c.getMomentum().convertToDouble()}};
          return call(op, "conv2d_stats",
                      {c.getInput(), c.getWeight(), c.getScale(), c.getShift(),
                       c.getRunningMean(), c.getRunningVar()},
                      {c.getResult(), c.getMean(), c.getInvstd()}, k);
        })
        .Case<nn::BnReluConv2dStatsOp>([&](nn::BnReluConv2dStatsOp c) {
          KernelCall k = convAttrs(c.getStrides(), c.getPadding(),
                                   c.getDilation(), c.getGroups());
          k.reals = {{"eps", c.getEps().convertToDouble()},
                     {"momentum", c.getMomentum().convertToDouble()}};
          return call(op, "bn_relu_conv2d_stats",
                      {c.getInput(), c.getInMean(), c.getInInvstd(),
                       c.getInScale(), c.getInShift(), c.getWeight(),
                       c.getScale(), c.getShift(), c.getRunningMean(),
                       c.getRunningVar()},
                      {c.getResult(), c.getMean(), c.getInvstd()}, k);
        })
        .Case<nn::BnReluConv2dOp>([&](nn::BnReluConv2dOp c) {
          return call(op, "bn_relu_conv2d",
                      {c.getInput(), c.getMean(), c.getInvstd(), c.getScale(),
                       c.getShift(), c.getWeight()},
                      {c.getResult()},
                      convAttrs(c.getStrides(), c.getPadding(), c.getDilation(),
                                c.getGroups()));
        })
        .Case<nn::BnAddReluOp>([&](nn::BnAddReluOp b) {
          return call(op, "bn_add_relu",
                      {b.getInput(), b.getMean(), b.getInvstd(), b.getScale(),
                       b.getShift(), b.getResidual()},
                      {b.getResult()});
        })
        .Case<nn::BnReluConv2dGradWeightOp>([&](nn::BnReluConv2dGradWeightOp c) {
          return call(op, "bn_relu_conv2d_backward_weight",
                      {c.getInput(), c.getMean(), c.getInvstd(), c.getScale(),
                       c.getShift(), c.getGradOutput()},
                      {c.getResult()},
                      convAttrs(c.getStrides(), c.getPadding(), c.getDilation(),
                                c.getGroups()));
        })
        .Case<nn::BnReluApplyGradOp>([&](nn::BnReluApplyGradOp g) {
          return call(op, "bn_relu_apply_backward",
                      {g.getGradOutput(), g.getInput(), g.getMean(),
                       g.getInvstd(), g.getScale(), g.getShift()},
                      {g.getGradInput(), g.getGradScale(), g.getGradShift()});
        })
        .Case<nn::Conv2dGradInputBnSumsOp>([&](nn::Conv2dGradInputBnSumsOp c) {
          return call(op, "conv2d_backward_data_bn_sums",
                      {c.getGradOutput(), c.getWeight(), c.getInput(),
                       c.getMean(), c.getInvstd(), c.getScale(), c.getShift()},
                      {c.getResult(), c.getGradScale(), c.getGradShift()},
                      convAttrs(c.getStrides(), c.getPadding(), c.getDilation(),
                                c.getGroups()));
        })
        .Case<nn::BnReluApplyGradInputOp>([&](nn::BnReluApplyGradInputOp g) {
          return call(op, "bn_relu_apply_backward_input",
                      {g.getGradOutput(), g.getInput(), g.getMean(),
                       g.getInvstd(), g.getScale(), g.getShift(),
                       g.getGradScale(), g.getGradShift()},
                      {g.getGradInput()});
        })
        .Case<nn::BnAddReluGradOp>([&](nn::BnAddReluGradOp g) {
          return call(op, "bn_add_relu_backward",
                      {g.getGradOutput(), g.getOutput(), g.getInput(),
                       g.getMean(), g.getInvstd(), g.getScale()},
                      {g.getGradInput(), g.getGradResidual(), g.getGradScale(),
                       g.getGradShift()});
        })
        .Case<nn::ReluOp>([&](nn::ReluOp r) {
          return call(op, "relu_forward", {r.getInput()}, {r.getResult()});
        })
        .Case<nn::ReluGradOp>([&](nn::ReluGradOp r) {
          return call(op, "relu_backward", {r.getGradOutput(), r.getOutput()},
                      {r.getResult()});
        })
        .Case<nn::AddOp>([&](nn::AddOp a) {
          return call(op, "add", {a.getLhs(), a.getRhs()}, {a.getResult()});
        })
        .Case<nn::ConcatOp>([&](nn::ConcatOp c) {
          KernelCall k;
          k.ints = {{"axis", c.getAxis()}};
          SmallVector<Value> ins(c.getInputs());
          return call(op, "concat", ins, {c.getResult()}, k);
        })
        .Case<nn::SliceOp>([&](nn::SliceOp s) {
          KernelCall k;
          k.ints = {{"axis", s.getAxis()}, {"start", s.getStart()}};
          return call(op, "slice", {s.getInput()}, {s.getResult()}, k);
        })
        .Case<nn::SliceGradOp>([&](nn::SliceGradOp s) {
          KernelCall k;
          k.ints = {{"axis", s.getAxis()}, {"start", s.getStart()}};
          return call(op, "slice_backward", {s.getGradOutput()}, {s.getResult()}, k);
        })
        .Case<nn::MaxPool2dOp>([&](nn::MaxPool2dOp p) {
          KernelCall k;
          k.ints = {{"kernel", p.getKernel()[0]}, {"stride", p.getStrides()[0]},
                    {"pad", p.getPadding()[0]}};
          return call(op, "max_pool_forward", {p.getInput()}, {p.getResult()}, k);
        })
        .Case<nn::MaxPool2dGradOp>([&](nn::MaxPool2dGradOp p) {
          KernelCall k;
          k.ints = {{"kernel", p.getKernel()[0]}, {"stride", p.getStrides()[0]},
                    {"pad", p.getPadding()[0]}};
          return call(op, "max_pool_backward", {p.getGradOutput(), p.getInput()},
                      {p.getResult()}, k);
        })
        .Case<nn::GlobalAvgPoolOp>([&](nn::GlobalAvgPoolOp p) {
          return call(op, "global_avg_pool_forward", {p.getInput()}, {p.getResult()});
        })
        .Case<nn::GlobalAvgPoolGradOp>([&](nn::GlobalAvgPoolGradOp p) {
          return call(op, "global_avg_pool_backward", {p.getGradOutput()},
                      {p.getResult()});
        })
        .Case<nn::LinearOp>([&](nn::LinearOp l) {
          SmallVector<Value> ins{l.getInput(), l.getWeight()};
          if (l.getBias())
            ins.push_back(l.getBias());
          plan.classes = shapeOf(l.getResult())[1];
          return call(op, "linear_forward", ins, {l.getResult()});
        })
        .Case<nn::LinearGradInputOp>([&](nn::LinearGradInputOp l) {
          return call(op, "linear_backward_data", {l.getGradOutput(), l.getWeight()},
                      {l.getResult()});
        })
        .Case<nn::LinearGradWeightOp>([&](nn::LinearGradWeightOp l) {
          return call(op, "linear_backward_weight", {l.getInput(), l.getGradOutput()},
                      {l.getResult()});
        })
        .Case<nn::SoftmaxCrossEntropyOp>([&](nn::SoftmaxCrossEntropyOp s) {
          return call(op, "softmax_cross_entropy", {s.getLogits(), s.getLabels()},
                      {s.getLoss()});
        })
        .Case<nn::SoftmaxCrossEntropyGradOp>([&](nn::SoftmaxCrossEntropyGradOp s) {
          return call(op, "softmax_cross_entropy_backward",
                      {s.getLogits(), s.getLabels()}, {s.getResult()});
        })
        .Case<nn::SgdUpdateOp>([&](nn::SgdUpdateOp s) {
          KernelCall k;
          k.names["velocity"] = s.getVelocity().str();
          k.reals = {{"weight_decay_scale",
                      s.getWeightDecay().convertToDouble() > 0 ? 1.0 : 0.0}};
          addTensor(s.getVelocity().str(), "velocity", "zeros",
                    shapeOf(s.getParam()));
          // The call after which this gradient is final (backward may still
          // be running): where data parallelism can start reducing it.
          auto it = producer.find(s.getGrad().getAsOpaquePointer());
          k.ints["grad_producer"] = it == producer.end() ? -1 : it->second;
          return call(op, "sgd_update", {s.getParam(), s.getGrad()}, {}, k);
        })
        .Default([&](Operation *o) -> LogicalResult {
          return o->emitError() << "kernel plan: no kernel for '"
                                << o->getName() << "'";
        });
  }

  KernelPlan &plan;
  std::set<std::string> seen;
  std::map<std::pair<void *, void *>, std::string> bnNames;
  std::map<void *, int64_t> producer; // value -> index of the call writing it
};

std::string describe(const Buffer &b) {
  std::ostringstream os;
  switch (b.kind) {
  case Buffer::Kind::Arena:
    os << "arena+" << b.offset;
    break;
  case Buffer::Kind::Persistent:
    os << b.name;
    break;
  case Buffer::Kind::Images:
    os << "images";
    break;
  case Buffer::Kind::Labels:
    os << "labels";
    break;
  }
  os << "[";
  for (size_t i = 0; i < b.shape.size(); ++i)
    os << (i ? "x" : "") << b.shape[i];
  os << "]";
  return os.str();
}

} // namespace

FailureOr<KernelPlan> buildKernelPlan(func::FuncOp f) {
  KernelPlan plan;
  PlanBuilder builder(plan);
  if (failed(builder.run(f)))
    return failure();
  return plan;
}

std::string printKernelPlan(const KernelPlan &plan) {
  std::ostringstream os;
  os << "plan " << plan.function << ": " << plan.calls.size()
     << " kernel calls, arena " << plan.arenaBytes << " bytes, "
     << plan.tensors.size() << " persistent tensors\n";
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const KernelCall &c = plan.calls[i];
    os << "  " << i << ": " << c.kernel << "(";
    for (size_t j = 0; j < c.inputs.size(); ++j)
      os << (j ? ", " : "") << describe(c.inputs[j]);
    os << ") -> (";
    for (size_t j = 0; j < c.outputs.size(); ++j)
      os << (j ? ", " : "") << describe(c.outputs[j]);
    os << ")";
    for (auto &[k, v] : c.ints)
      os << " " << k << "=" << v;
    for (auto &[k, v] : c.reals)
      os << " " << k << "=" << v;
    for (auto &[k, v] : c.names)
      os << " " << k << "=" << v;
    os << "\n";
  }
  return os.str();
}

} // namespace cardinal::codegen
