//===- Rules.cpp - the local identities and their rewrites -----------------===//
#include "proof/Rules.h"

#include "interp/PathNames.h"
#include "ir/NNDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>

using namespace mlir;

namespace cardinal::proof {

const std::vector<RuleInfo> &rules() {
  static const std::vector<RuleInfo> table = {
      {RuleId::SumOfConvsToConvOfConcat, "sum-of-convs->conv-of-concat",
       "sum_i conv(x_i, W_i) = conv(concat_c(x_i), concat_in(W_i))",
       "W[o, i*d+k] = W_i[o, k]  (concat along axis 1)"},
      {RuleId::ChannelwiseReluConcat, "channelwise-relu-concat",
       "concat_c(relu(x_i)) = relu(concat_c(x_i))", "none"},
      {RuleId::ChannelwiseBnConcat, "channelwise-bn-concat",
       "concat_c(BN_i(x_i)) = BN(concat_c(x_i))",
       "scale, shift, running_mean, running_var = concat(..._i)  (axis 0)"},
      {RuleId::ConcatOfConvsToConv, "concat-of-convs->conv",
       "concat_c(conv(x, W_i)) = conv(x, concat_out(W_i))",
       "W[i*d+o, k] = W_i[o, k]  (concat along axis 0)"},
      {RuleId::SliceOfConcat, "slice-of-concat",
       "y_i = slice_c(concat_c(y_0..y_{C-1}), i)", "none"},
      {RuleId::ConvsOnSlicesToGrouped, "convs-on-slices->grouped-conv",
       "concat_c(conv(slice_c(X, i), W_i)) = conv(X, concat_out(W_i), groups=C)",
       "W[i*d+o, k] = W_i[o, k]  (concat along axis 0)"},
  };
  return table;
}

const RuleInfo &ruleInfo(RuleId id) {
  for (const RuleInfo &r : rules())
    if (r.id == id)
      return r;
  llvm_unreachable("unknown rule");
}

const RuleInfo *findRule(const std::string &name) {
  for (const RuleInfo &r : rules())
    if (name == r.name)
      return &r;
  return nullptr;
}

namespace {

std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

// The name a merged parameter gets: the common base when the sources are
// path 0..C-1 of one template parameter, else a name derived from the first.
std::string mergedName(const std::vector<std::string> &names) {
  std::optional<std::pair<std::string, int64_t>> first;
  for (size_t i = 0; i < names.size(); ++i) {
    auto split = splitPathParamName(names[i]);
    if (!split || split->second != (int64_t)i ||
        (first && split->first != first->first))
      return names.front() + ".merged";
    if (!first)
      first = split;
  }
  return first->first;
}

// The producers of a channel concat's operands when all are single-use ops of
// kind OpT (the shape every concat rule starts from); nullopt otherwise.
template <typename OpT>
std::optional<std::vector<OpT>> operandsAs(nn::ConcatOp concat) {
  if (!concat || concat.getAxis() != 1)
    return std::nullopt;
  std::vector<OpT> ops;
  for (Value v : concat.getInputs()) {
    auto op = v.getDefiningOp<OpT>();
    if (!op || !v.hasOneUse())
      return std::nullopt;
    ops.push_back(op);
  }
  if (ops.size() < 2)
    return std::nullopt;
  return ops;
}

bool sameConvAttrs(nn::Conv2dOp a, nn::Conv2dOp b) {
  return a.getStrides() == b.getStrides() && a.getPadding() == b.getPadding() &&
         a.getDilation() == b.getDilation() && a.getGroups() == b.getGroups() &&
         a.getWeight().getType() == b.getWeight().getType() && !a.getBias() &&
         !b.getBias();
}

bool uniformConvs(const std::vector<nn::Conv2dOp> &convs) {
  for (nn::Conv2dOp c : convs)
    if (!c.getWeight().getDefiningOp<nn::ParamOp>() ||
        !sameConvAttrs(c, convs.front()))
      return false;
  return true;
}

// Creates the parameter that concatenates `sources` along `axis` and records
// its map entry.
template <typename ValueOpT>
Value mergeParams(OpBuilder &b, Location loc, const std::vector<Value> &sources,
                  int64_t axis, ParamMap &map) {
  std::vector<std::string> names;
  std::vector<int64_t> shape = shapeOf(sources.front());
  shape[axis] = 0;
  ParamMapEntry entry;
  entry.axis = axis;
  for (Value v : sources) {
    auto op = v.getDefiningOp<ValueOpT>();
    names.push_back(op.getName().str());
    int64_t extent = shapeOf(v)[axis];
    entry.pieces.push_back({op.getName().str(), axis, 0, extent});
    shape[axis] += extent;
  }
  entry.target = mergedName(names);
  entry.shape = shape;
  auto first = sources.front().getDefiningOp<ValueOpT>();
  auto type = RankedTensorType::get(
      shape, cast<RankedTensorType>(sources.front().getType()).getElementType());
  Value merged = b.create<ValueOpT>(loc, type, entry.target, first.getInit());
  map.entries.push_back(std::move(entry));
  return merged;
}

// Erases ops that became dead, and then whatever only they used.
void eraseDead(const std::vector<Operation *> &roots) {
  llvm::SetVector<Operation *> work(roots.begin(), roots.end());
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : work) {
      if (!op->use_empty())
        continue;
      work.remove(op);
      for (Value v : op->getOperands())
        if (Operation *d = v.getDefiningOp())
          if (isa<nn::NNDialect>(d->getDialect()) && !isa<nn::InputOp>(d))
            work.insert(d);
      op->erase();
      changed = true;
      break;
    }
  }
}

void collectAddLeaves(Value v, bool root, std::vector<Value> &leaves,
                      std::vector<Operation *> &adds) {
  auto add = v.getDefiningOp<nn::AddOp>();
  if (add && (root || v.hasOneUse())) {
    adds.push_back(add);
    collectAddLeaves(add.getLhs(), false, leaves, adds);
    collectAddLeaves(add.getRhs(), false, leaves, adds);
    return;
  }
  leaves.push_back(v);
}

FailureOr<Step> sumOfConvs(Operation *site) {
  auto root = dyn_cast<nn::AddOp>(site);
  if (!root)
    return failure();
  // Only at the root of an add tree: a partial merge is true but leaves a
  // graph that is neither form.
  if (root->hasOneUse() && isa<nn::AddOp>(*root->getUsers().begin()))
    return failure();
  std::vector<Value> leaves;
  std::vector<Operation *> adds;
  collectAddLeaves(root.getResult(), true, leaves, adds);
  std::vector<nn::Conv2dOp> convs;
  for (Value v : leaves) {
    auto conv = v.getDefiningOp<nn::Conv2dOp>();
    if (!conv || !v.hasOneUse())
      return failure();
    convs.push_back(conv);
  }
  if (convs.size() < 2 || !uniformConvs(convs) || convs[0].getGroups() != 1)
    return failure();
  // Paths in index order, so the merged weight is path-major like form (c).
  std::vector<std::pair<int64_t, nn::Conv2dOp>> order;
  for (size_t i = 0; i < convs.size(); ++i) {
    auto split = splitPathParamName(
        convs[i].getWeight().getDefiningOp<nn::ParamOp>().getName().str());
    order.push_back({split ? split->second : int64_t(i), convs[i]});
  }
  std::stable_sort(order.begin(), order.end(),
                   [](auto &a, auto &b) { return a.first < b.first; });
  std::vector<Value> inputs, weights;
  for (auto &[index, conv] : order) {
    inputs.push_back(conv.getInput());
    weights.push_back(conv.getWeight());
  }
  std::vector<std::vector<int64_t>> shapes;
  for (Value v : inputs)
    shapes.push_back(shapeOf(v));
  for (auto &s : shapes)
    if (s.size() != 4 || s[0] != shapes[0][0] || s[2] != shapes[0][2] ||
        s[3] != shapes[0][3])
      return failure();

  OpBuilder b(site);
  Step step;
  step.rule = RuleId::SumOfConvsToConvOfConcat;
  Value cat = b.create<nn::ConcatOp>(site->getLoc(), inputs, 1);
  Value w = mergeParams<nn::ParamOp>(b, site->getLoc(), weights, 1, step.params);
  nn::Conv2dOp c0 = convs.front();
  Value y = b.create<nn::Conv2dOp>(site->getLoc(), root.getType(), cat, w,
                                   Value(), c0.getStridesAttr(),
                                   c0.getPaddingAttr(), c0.getDilationAttr(),
                                   c0.getGroupsAttr());
  root.getResult().replaceAllUsesWith(y);
  step.siteOp = "nn.add";
  step.siteDesc = "conv x" + std::to_string(convs.size()) + " summed -> 1 conv";
  std::vector<Operation *> dead(adds.begin(), adds.end());
  eraseDead(dead);
  return step;
}

FailureOr<Step> reluConcat(Operation *site) {
  auto concat = dyn_cast<nn::ConcatOp>(site);
  auto relus = operandsAs<nn::ReluOp>(concat);
  if (!relus)
    return failure();
  SmallVector<Value> inputs;
  for (nn::ReluOp r : *relus)
    inputs.push_back(r.getInput());
  OpBuilder b(site);
  Value cat = b.create<nn::ConcatOp>(site->getLoc(), inputs, 1);
  Value y = b.create<nn::ReluOp>(site->getLoc(), cat);
  concat.getResult().replaceAllUsesWith(y);
  Step step;
  step.rule = RuleId::ChannelwiseReluConcat;
  step.siteOp = "nn.concat";
  step.siteDesc = "relu x" + std::to_string(relus->size()) + " -> 1 relu";
  eraseDead({concat});
  return step;
}

FailureOr<Step> bnConcat(Operation *site) {
  auto concat = dyn_cast<nn::ConcatOp>(site);
  auto bns = operandsAs<nn::BatchNormOp>(concat);
  if (!bns)
    return failure();
  nn::BatchNormOp first = bns->front();
  SmallVector<Value> inputs;
  std::vector<Value> scale, shift, mean, var;
  for (nn::BatchNormOp bn : *bns) {
    if (bn.getEps() != first.getEps() ||
        bn.getMomentum() != first.getMomentum() ||
        bn.getTraining() != first.getTraining() ||
        !bn.getScale().getDefiningOp<nn::ParamOp>() ||
        !bn.getShift().getDefiningOp<nn::ParamOp>() ||
        !bn.getRunningMean().getDefiningOp<nn::StateOp>() ||
        !bn.getRunningVar().getDefiningOp<nn::StateOp>())
      return failure();
    inputs.push_back(bn.getInput());
    scale.push_back(bn.getScale());
    shift.push_back(bn.getShift());
    mean.push_back(bn.getRunningMean());
    var.push_back(bn.getRunningVar());
  }
  OpBuilder b(site);
  Step step;
  step.rule = RuleId::ChannelwiseBnConcat;
  Location loc = site->getLoc();
  Value cat = b.create<nn::ConcatOp>(loc, inputs, 1);
  Value s = mergeParams<nn::ParamOp>(b, loc, scale, 0, step.params);
  Value t = mergeParams<nn::ParamOp>(b, loc, shift, 0, step.params);
  Value m = mergeParams<nn::StateOp>(b, loc, mean, 0, step.params);
  Value v = mergeParams<nn::StateOp>(b, loc, var, 0, step.params);
  Value y = b.create<nn::BatchNormOp>(loc, cat.getType(), cat, s, t, m, v,
                                      first.getEpsAttr(),
                                      first.getMomentumAttr(),
                                      first.getTrainingAttr());
  concat.getResult().replaceAllUsesWith(y);
  step.siteOp = "nn.concat";
  step.siteDesc = "bn x" + std::to_string(bns->size()) + " -> 1 bn";
  eraseDead({concat});
  return step;
}

// Shared by the two concat-of-conv rules: one conv with weights concatenated
// along the output axis and `groups` groups, reading `input`.
Step mergeConcatOfConvs(nn::ConcatOp concat, const std::vector<nn::Conv2dOp> &convs,
                        Value input, int64_t groups, RuleId rule) {
  std::vector<Value> weights;
  for (nn::Conv2dOp c : convs)
    weights.push_back(c.getWeight());
  OpBuilder b(concat);
  Step step;
  step.rule = rule;
  Location loc = concat.getLoc();
  Value w = mergeParams<nn::ParamOp>(b, loc, weights, 0, step.params);
  nn::Conv2dOp c0 = convs.front();
  Value y = b.create<nn::Conv2dOp>(loc, concat.getType(), input, w, Value(),
                                   c0.getStridesAttr(), c0.getPaddingAttr(),
                                   c0.getDilationAttr(),
                                   b.getI64IntegerAttr(groups));
  concat.getResult().replaceAllUsesWith(y);
  step.siteOp = "nn.concat";
  step.siteDesc = "conv x" + std::to_string(convs.size()) + " -> 1 conv" +
                  (groups > 1 ? " (groups " + std::to_string(groups) + ")" : "");
  eraseDead({concat});
  return step;
}

FailureOr<Step> concatOfConvs(Operation *site) {
  auto concat = dyn_cast<nn::ConcatOp>(site);
  auto convs = operandsAs<nn::Conv2dOp>(concat);
  if (!convs || !uniformConvs(*convs) || convs->front().getGroups() != 1)
    return failure();
  Value x = convs->front().getInput();
  for (nn::Conv2dOp c : *convs)
    if (c.getInput() != x)
      return failure();
  return mergeConcatOfConvs(concat, *convs, x, 1,
                            RuleId::ConcatOfConvsToConv);
}

// The slice op for path i of C equal channel slices of one value, if so.
bool isPathSlice(Value v, Value &whole, int64_t i, int64_t count) {
  auto slice = v.getDefiningOp<nn::SliceOp>();
  if (!slice || slice.getAxis() != 1)
    return false;
  int64_t channels = shapeOf(slice.getInput())[1];
  if (channels % count != 0)
    return false;
  int64_t k = channels / count;
  if (static_cast<int64_t>(slice.getStart()) != i * k ||
      static_cast<int64_t>(slice.getSize()) != k)
    return false;
  if (i == 0)
    whole = slice.getInput();
  return slice.getInput() == whole;
}

FailureOr<Step> convsOnSlices(Operation *site) {
  auto concat = dyn_cast<nn::ConcatOp>(site);
  auto convs = operandsAs<nn::Conv2dOp>(concat);
  if (!convs || !uniformConvs(*convs))
    return failure();
  Value whole;
  int64_t count = convs->size();
  for (int64_t i = 0; i < count; ++i)
    if (!isPathSlice((*convs)[i].getInput(), whole, i, count))
      return failure();
  return mergeConcatOfConvs(concat, *convs, whole,
                            count * convs->front().getGroups(),
                            RuleId::ConvsOnSlicesToGrouped);
}

FailureOr<Step> sliceOfConcat(Operation *site) {
  auto concat = dyn_cast<nn::ConcatOp>(site);
  auto convs = operandsAs<nn::Conv2dOp>(concat);
  if (!convs || !uniformConvs(*convs))
    return failure();
  SmallVector<Value> ys;
  Value whole;
  bool alreadySliced = true;
  for (int64_t i = 0; i < (int64_t)convs->size(); ++i) {
    Value y = (*convs)[i].getInput();
    alreadySliced &= isPathSlice(y, whole, i, convs->size());
    if (llvm::is_contained(ys, y) || shapeOf(y) != shapeOf(convs->front().getInput()))
      return failure();
    ys.push_back(y);
  }
  if (alreadySliced)
    return failure();
  OpBuilder b(site);
  Location loc = site->getLoc();
  Value cat = b.create<nn::ConcatOp>(loc, ys, 1);
  int64_t k = shapeOf(ys.front())[1];
  SmallVector<Value> newConvs;
  for (int64_t i = 0; i < (int64_t)convs->size(); ++i) {
    nn::Conv2dOp c = (*convs)[i];
    Value s = b.create<nn::SliceOp>(loc, cat, 1, i * k, k);
    newConvs.push_back(b.create<nn::Conv2dOp>(
        c.getLoc(), c.getType(), s, c.getWeight(), Value(), c.getStridesAttr(),
        c.getPaddingAttr(), c.getDilationAttr(), c.getGroupsAttr()));
  }
  Value y = b.create<nn::ConcatOp>(loc, newConvs, 1);
  concat.getResult().replaceAllUsesWith(y);
  Step step;
  step.rule = RuleId::SliceOfConcat;
  step.siteOp = "nn.concat";
  step.siteDesc = "inputs of conv x" + std::to_string(convs->size()) +
                  " -> slices of 1 concat";
  eraseDead({concat});
  return step;
}

} // namespace

FailureOr<Step> applyRule(RuleId rule, Operation *site) {
  switch (rule) {
  case RuleId::SumOfConvsToConvOfConcat:
    return sumOfConvs(site);
  case RuleId::ChannelwiseReluConcat:
    return reluConcat(site);
  case RuleId::ChannelwiseBnConcat:
    return bnConcat(site);
  case RuleId::ConcatOfConvsToConv:
    return concatOfConvs(site);
  case RuleId::SliceOfConcat:
    return sliceOfConcat(site);
  case RuleId::ConvsOnSlicesToGrouped:
    return convsOnSlices(site);
  }
  return failure();
}

} // namespace cardinal::proof
