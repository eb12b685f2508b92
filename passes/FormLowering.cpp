//===- FormLowering.cpp - nn.aggregate -> forms (a), (b), (c) -------------===//
#include "passes/FormLowering.h"

#include "interp/PathNames.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <set>

using namespace mlir;

namespace cardinal {

//===----------------------------------------------------------------------===//
// Form names
//===----------------------------------------------------------------------===//

std::optional<Form> parseForm(llvm::StringRef text) {
  std::string t = text.trim().lower();
  if (t.size() == 3 && t.front() == '(' && t.back() == ')')
    t = t.substr(1, 1);
  if (t == "a")
    return Form::A;
  if (t == "b")
    return Form::B;
  if (t == "c")
    return Form::C;
  return std::nullopt;
}

llvm::StringRef stringifyForm(Form form) {
  switch (form) {
  case Form::A:
    return "a";
  case Form::B:
    return "b";
  case Form::C:
    return "c";
  }
  llvm_unreachable("unknown form");
}

//===----------------------------------------------------------------------===//
// Shared helpers (FormInternal.h)
//===----------------------------------------------------------------------===//

namespace detail {

bool isParamLike(Operation *op) {
  return op && isa<nn::ParamOp, nn::StateOp>(op);
}

StringRef paramName(Operation *op) {
  if (auto p = dyn_cast<nn::ParamOp>(op))
    return p.getName();
  return cast<nn::StateOp>(op).getName();
}

void setParamName(Operation *op, StringRef name) {
  if (auto p = dyn_cast<nn::ParamOp>(op))
    return p.setName(name);
  cast<nn::StateOp>(op).setName(name);
}

Operation *paramDef(Value v) {
  Operation *def = v.getDefiningOp();
  return isParamLike(def) ? def : nullptr;
}

std::vector<int64_t> shapeOf(Type t) {
  auto r = cast<RankedTensorType>(t);
  return {r.getShape().begin(), r.getShape().end()};
}

RankedTensorType withShape(Type like, const std::vector<int64_t> &shape) {
  return RankedTensorType::get(shape,
                               cast<RankedTensorType>(like).getElementType());
}

RankedTensorType scaledDim(Type t, int64_t dim, int64_t factor) {
  std::vector<int64_t> s = shapeOf(t);
  s[dim] *= factor;
  return withShape(t, s);
}

std::string describe(Operation *op) {
  std::string s = "'" + op->getName().getStringRef().str() + "'";
  if (isParamLike(op))
    return s + " '" + paramName(op).str() + "'";
  for (Value v : op->getOperands())
    if (Operation *p = paramDef(v))
      return s + " (" + paramName(p).rsplit('.').first.str() + ")";
  if (auto loc = dyn_cast<NameLoc>(op->getLoc()))
    return s + " (" + loc.getName().str() + ")";
  return s;
}

SmallVector<nn::AggregateOp> enclosingAggregates(Operation *op,
                                                 Operation *root) {
  SmallVector<nn::AggregateOp> out;
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp()) {
    if (auto agg = dyn_cast<nn::AggregateOp>(p))
      out.push_back(agg);
    if (p == root)
      break;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool containsRegionOps(nn::AggregateOp agg) {
  for (Operation &op : agg.getBody().front())
    if (op.getNumRegions())
      return true;
  return false;
}

Operation *topLevelRoot(Operation *op) {
  Operation *root = op;
  while (Operation *p = root->getParentOp())
    root = p;
  return root;
}

void addWholeConcat(ParamMap &delta, const std::string &target,
                    const std::vector<int64_t> &pathShape, int64_t axis,
                    int64_t cardinality) {
  ParamMapEntry e;
  e.target = target;
  e.shape = pathShape;
  e.shape[axis] *= cardinality;
  e.axis = axis;
  for (int64_t i = 0; i < cardinality; ++i) {
    std::string source = pathParamName(target, i);
    e.pieces.push_back(Piece{source, axis, 0, pathShape[axis]});
    delta.sources[source] = pathShape;
  }
  delta.entries.push_back(std::move(e));
}

} // namespace detail

using namespace detail;

//===----------------------------------------------------------------------===//
// Instance parameters and identity maps
//===----------------------------------------------------------------------===//

std::vector<std::pair<std::string, std::vector<int64_t>>>
instanceParams(Operation *root) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  llvm::StringSet<> seen;
  root->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (!isParamLike(op))
      return;
    std::vector<std::string> names{paramName(op).str()};
    for (nn::AggregateOp agg : enclosingAggregates(op, root)) {
      std::vector<std::string> next;
      for (const std::string &n : names)
        for (int64_t i = 0; i < static_cast<int64_t>(agg.getCardinality()); ++i)
          next.push_back(pathParamName(n, i));
      names = std::move(next);
    }
    std::vector<int64_t> shape = shapeOf(op->getResult(0).getType());
    for (std::string &n : names)
      if (seen.insert(n).second)
        out.emplace_back(std::move(n), shape);
  });
  return out;
}

bool fillSourceShapes(ParamMap &m, Operation *input) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (auto &[name, shape] : instanceParams(input))
    shapes[name] = shape;
  bool all = true;
  for (const ParamMapEntry &e : m.entries)
    for (const Piece &p : e.pieces) {
      auto it = shapes.find(p.source);
      if (it == shapes.end())
        all = false;
      else
        m.sources[p.source] = it->second;
    }
  return all;
}

ParamMap identityParamMap(Operation *root) {
  return completeParamMap(ParamMap{}, root);
}

ParamMap completeParamMap(const ParamMap &delta, Operation *root) {
  std::map<std::string, const ParamMapEntry *> produced;
  for (const ParamMapEntry &e : delta.entries)
    produced[e.target] = &e;
  ParamMap m;
  for (auto &[name, shape] : instanceParams(root)) {
    auto it = produced.find(name);
    if (it == produced.end()) {
      m.entries.push_back(renameEntry(name, name, shape));
      m.sources[name] = shape;
      continue;
    }
    m.entries.push_back(*it->second);
    for (const Piece &p : it->second->pieces) {
      auto s = delta.sources.find(p.source);
      if (s != delta.sources.end())
        m.sources[p.source] = s->second;
    }
  }
  simplify(m);
  return m;
}

//===----------------------------------------------------------------------===//
// The three lowerings
//===----------------------------------------------------------------------===//

namespace {

/// Values of the template that depend on the path (read a param/state).
llvm::DenseSet<Value> perPathValues(Block &body) {
  llvm::DenseSet<Value> out;
  for (Operation &op : body.without_terminator()) {
    bool dep = isParamLike(&op) ||
               llvm::any_of(op.getOperands(),
                            [&](Value v) { return out.contains(v); });
    if (dep)
      for (Value r : op.getResults())
        out.insert(r);
  }
  return out;
}

LogicalResult refuseNested(nn::AggregateOp agg, Form form, std::string &why) {
  if (agg->getParentOfType<nn::AggregateOp>()) {
    why = form == Form::A
              ? "it is nested in another nn.aggregate; lower the enclosing "
                "one first (path tags are applied outermost first)"
              : "it is nested in another nn.aggregate; forms (b) and (c) "
                "lower un-nested aggregates only (lower to (a) first)";
    return failure();
  }
  if (form != Form::A && containsRegionOps(agg)) {
    why = "its template holds a nested region op; forms (b) and (c) lower "
          "un-nested aggregates only (lower to (a) first)";
    return failure();
  }
  return success();
}

/// Form (a): C clones, params renamed, results summed left to right.
LogicalResult lowerToA(nn::AggregateOp agg, bool dryRun, ParamMap &delta,
                       std::string &why) {
  if (failed(refuseNested(agg, Form::A, why)))
    return failure();
  if (dryRun)
    return success();
  OpBuilder b(agg);
  Block &body = agg.getBody().front();
  auto yield = cast<nn::YieldOp>(body.getTerminator());
  SmallVector<Value> results;
  for (int64_t i = 0; i < static_cast<int64_t>(agg.getCardinality()); ++i) {
    IRMapping map;
    map.map(body.getArgument(0), agg.getInput());
    for (Operation &op : body.without_terminator()) {
      Operation *c = b.clone(op, map);
      c->walk([&](Operation *o) {
        if (isParamLike(o))
          setParamName(o, pathParamName(paramName(o).str(), i));
      });
    }
    results.push_back(map.lookupOrDefault(yield.getValue()));
  }
  Value sum = results.front();
  for (size_t i = 1; i < results.size(); ++i)
    sum = b.create<nn::AddOp>(agg.getLoc(), sum.getType(), sum, results[i]);
  agg.getResult().replaceAllUsesWith(sum);
  agg.erase();
  return success();
}

/// Form (b): clones up to the yielded conv's input, concat, one conv.
LogicalResult lowerToB(nn::AggregateOp agg, bool dryRun, ParamMap &delta,
                       std::string &why) {
  if (failed(refuseNested(agg, Form::B, why)))
    return failure();
  const int64_t C = agg.getCardinality();
  Block &body = agg.getBody().front();
  auto yield = cast<nn::YieldOp>(body.getTerminator());
  Value yv = yield.getValue();
  auto conv = yv.getDefiningOp<nn::Conv2dOp>();
  const std::string rule =
      " (rule: form (b) needs the yielded value to be a groups-1 conv without "
      "bias whose input depends on the path: concat-then-conv)";
  if (!conv) {
    why = yv.getDefiningOp()
              ? "the yielded value comes from " + describe(yv.getDefiningOp()) +
                    ", not from 'nn.conv2d'" + rule
              : "the template yields its argument" + rule;
    return failure();
  }
  if (conv.getGroups() != 1) {
    why = "the yielded " + describe(conv) + " has groups " +
          std::to_string(conv.getGroups()) + rule;
    return failure();
  }
  if (conv.getBias()) {
    why = "the yielded " + describe(conv) + " has a bias" + rule;
    return failure();
  }
  Operation *w = conv.getWeight().getDefiningOp();
  if (!w || !isa<nn::ParamOp>(w)) {
    why = "the weight of the yielded " + describe(conv) +
          " is not an nn.param of the template" + rule;
    return failure();
  }
  if (!w->hasOneUse() || !conv->hasOneUse()) {
    why = "the yielded " + describe(conv) +
          " or its weight has other uses in the template" + rule;
    return failure();
  }
  Value u = conv.getInput();
  if (!perPathValues(body).contains(u)) {
    why = "the input of the yielded " + describe(conv) +
          " does not depend on the path" + rule;
    return failure();
  }
  if (dryRun)
    return success();

  OpBuilder b(agg);
  SmallVector<Value> inputs;
  for (int64_t i = 0; i < C; ++i) {
    IRMapping map;
    map.map(body.getArgument(0), agg.getInput());
    for (Operation &op : body.without_terminator()) {
      if (&op == conv.getOperation() || &op == w)
        continue;
      Operation *c = b.clone(op, map);
      if (isParamLike(c))
        setParamName(c, pathParamName(paramName(c).str(), i));
    }
    inputs.push_back(map.lookupOrDefault(u));
  }
  Value joined = C == 1 ? inputs.front()
                        : b.create<nn::ConcatOp>(agg.getLoc(), inputs, 1)
                              .getResult();
  std::vector<int64_t> wShape = shapeOf(w->getResult(0).getType());
  Operation *merged = b.clone(*w);
  merged->getResult(0).setType(scaledDim(w->getResult(0).getType(), 1, C));
  IRMapping map;
  map.map(u, joined);
  map.map(w->getResult(0), merged->getResult(0));
  Operation *newConv = b.clone(*conv, map);
  addWholeConcat(delta, paramName(w).str(), wShape, 1, C);
  agg.getResult().replaceAllUsesWith(newConv->getResult(0));
  agg.erase();
  return success();
}

/// Form (c): the template widened to C*k channels, path-major.
LogicalResult lowerToC(nn::AggregateOp agg, bool dryRun, ParamMap &delta,
                       std::string &why) {
  if (failed(refuseNested(agg, Form::C, why)))
    return failure();
  const int64_t C = agg.getCardinality();
  Block &body = agg.getBody().front();
  auto yield = cast<nn::YieldOp>(body.getTerminator());
  OpBuilder b(agg);

  llvm::DenseMap<Value, Value> shared, wide;
  struct Merged {
    int64_t axis;
    Value value;
  };
  llvm::DenseMap<Operation *, Merged> merged;
  std::vector<Operation *> created;
  ParamMap local;
  llvm::StringSet<> mergedNames;
  Value finalOriginal, finalValue;
  shared[body.getArgument(0)] = agg.getInput();

  auto rollback = [&]() {
    for (auto it = created.rbegin(); it != created.rend(); ++it)
      (*it)->erase();
    created.clear();
  };
  auto refuse = [&](const std::string &msg) {
    why = msg;
    rollback();
    return failure();
  };

  // The merged parameter (concat of the C paths' copies along `axis`).
  auto mergeParam = [&](Value v, int64_t axis, Operation *user,
                        StringRef role) -> FailureOr<Value> {
    Operation *def = paramDef(v);
    if (!def || def->getBlock() != &body) {
      why = "the " + role.str() + " of " + describe(user) +
            " is not an nn.param/nn.state of the template (rule: merged "
            "operands must be per-path parameters)";
      return failure();
    }
    auto it = merged.find(def);
    if (it != merged.end()) {
      if (it->second.axis != axis) {
        why = "parameter '" + paramName(def).str() +
              "' would be merged along two axes";
        return failure();
      }
      return it->second.value;
    }
    std::string name = paramName(def).str();
    if (!mergedNames.insert(name).second) {
      why = "two template parameters are named '" + name + "'";
      return failure();
    }
    std::vector<int64_t> pathShape = shapeOf(v.getType());
    Operation *c = b.clone(*def);
    created.push_back(c);
    c->getResult(0).setType(scaledDim(v.getType(), axis, C));
    addWholeConcat(local, name, pathShape, axis, C);
    merged[def] = Merged{axis, c->getResult(0)};
    return c->getResult(0);
  };

  for (Operation &op : body.without_terminator()) {
    if (isParamLike(&op))
      continue;
    bool anyWide = llvm::any_of(op.getOperands(),
                                [&](Value v) { return wide.count(v) > 0; });
    bool anyParam = llvm::any_of(op.getOperands(),
                                 [&](Value v) { return paramDef(v) != nullptr; });
    if (!anyWide && !anyParam) {
      // Shared: param-free op of shared values, computed once.
      IRMapping map;
      for (Value v : op.getOperands())
        map.map(v, shared.lookup(v));
      Operation *c = b.clone(op, map);
      created.push_back(c);
      for (auto [r, n] : llvm::zip(op.getResults(), c->getResults()))
        shared[r] = n;
      continue;
    }
    if (auto conv = dyn_cast<nn::Conv2dOp>(&op)) {
      Value in = conv.getInput();
      bool inWide = wide.count(in) > 0;
      if (!inWide && !shared.count(in))
        return refuse("the input of " + describe(conv) +
                      " is a parameter (rule: a conv reads a shared or a "
                      "per-path value)");
      bool isFinal = llvm::any_of(conv->getUsers(), [](Operation *u) {
        return isa<nn::YieldOp>(u);
      });
      const std::string finalRule =
          " (rule: the yielded value must be a groups-1 conv without bias on "
          "a per-path value: sum-of-convs -> conv-of-concat)";
      IRMapping map;
      map.map(in, inWide ? wide[in] : shared[in]);
      if (isFinal) {
        if (!conv->hasOneUse())
          return refuse("the yielded " + describe(conv) +
                        " is also used inside the template" + finalRule);
        if (!inWide)
          return refuse("the yielded " + describe(conv) +
                        " reads a shared value; the C paths' sum is no "
                        "concatenation" + finalRule);
        if (conv.getGroups() != 1)
          return refuse("the yielded " + describe(conv) + " has groups " +
                        std::to_string(conv.getGroups()) + finalRule);
        if (conv.getBias())
          return refuse("the yielded " + describe(conv) + " has a bias" +
                        finalRule);
        FailureOr<Value> w = mergeParam(conv.getWeight(), 1, conv, "weight");
        if (failed(w))
          return refuse(why);
        map.map(conv.getWeight(), *w);
        Operation *c = b.clone(op, map);
        created.push_back(c);
        finalOriginal = conv.getResult();
        finalValue = c->getResult(0);
        continue;
      }
      if (!inWide && conv.getGroups() != 1)
        return refuse(describe(conv) + " reads a shared value with groups " +
                      std::to_string(conv.getGroups()) +
                      " (rule: a conv on a shared value widens only with "
                      "groups 1)");
      FailureOr<Value> w = mergeParam(conv.getWeight(), 0, conv, "weight");
      if (failed(w))
        return refuse(why);
      map.map(conv.getWeight(), *w);
      if (Value bias = conv.getBias()) {
        FailureOr<Value> bv = mergeParam(bias, 0, conv, "bias");
        if (failed(bv))
          return refuse(why);
        map.map(bias, *bv);
      }
      auto c = cast<nn::Conv2dOp>(b.clone(op, map));
      created.push_back(c);
      if (inWide)
        c.setGroupsAttr(b.getI64IntegerAttr(C * conv.getGroups()));
      c.getResult().setType(scaledDim(conv.getType(), 1, C));
      wide[conv.getResult()] = c.getResult();
      continue;
    }
    if (auto bn = dyn_cast<nn::BatchNormOp>(&op)) {
      if (!wide.count(bn.getInput()))
        return refuse(describe(bn) +
                      " normalizes a shared value (rule: nn.batch_norm "
                      "widens only per-path values)");
      IRMapping map;
      map.map(bn.getInput(), wide[bn.getInput()]);
      std::pair<Value, const char *> operands[] = {
          {bn.getScale(), "scale"},
          {bn.getShift(), "shift"},
          {bn.getRunningMean(), "running_mean"},
          {bn.getRunningVar(), "running_var"}};
      for (auto [v, role] : operands) {
        FailureOr<Value> m = mergeParam(v, 0, bn, role);
        if (failed(m))
          return refuse(why);
        map.map(v, *m);
      }
      Operation *c = b.clone(op, map);
      created.push_back(c);
      c->getResult(0).setType(scaledDim(bn.getType(), 1, C));
      wide[bn.getResult()] = c->getResult(0);
      continue;
    }
    if (isa<nn::ReluOp, nn::AddOp>(&op)) {
      bool allWide = llvm::all_of(op.getOperands(),
                                  [&](Value v) { return wide.count(v) > 0; });
      if (!allWide)
        return refuse(describe(&op) +
                      (isa<nn::AddOp>(&op)
                           ? " adds a value that is not per-path (rule: "
                             "nn.add widens only when both operands are "
                             "per-path)"
                           : " reads a parameter (rule: nn.relu widens "
                             "per-path values)"));
      IRMapping map;
      for (Value v : op.getOperands())
        map.map(v, wide[v]);
      Operation *c = b.clone(op, map);
      created.push_back(c);
      c->getResult(0).setType(scaledDim(op.getResult(0).getType(), 1, C));
      wide[op.getResult(0)] = c->getResult(0);
      continue;
    }
    return refuse(describe(&op) +
                  (anyWide ? " reads a per-path value" : " reads a parameter") +
                  " and has no widening rule (rules: nn.conv2d, "
                  "nn.batch_norm, nn.relu, nn.add)");
  }

  Value yv = yield.getValue();
  if (!finalValue || yv != finalOriginal) {
    const std::string rule =
        " (rule: the yielded value must be produced by a groups-1 conv "
        "without bias on a per-path value: sum-of-convs -> conv-of-concat)";
    if (shared.count(yv))
      return refuse("the yielded value does not depend on the path" + rule);
    return refuse("the yielded value comes from " +
                  describe(yv.getDefiningOp()) + rule);
  }
  if (dryRun) {
    rollback();
    return success();
  }
  for (ParamMapEntry &e : local.entries)
    delta.entries.push_back(std::move(e));
  for (auto &[k, v] : local.sources)
    delta.sources[k] = v;
  agg.getResult().replaceAllUsesWith(finalValue);
  agg.erase();
  return success();
}

LogicalResult lowerOne(nn::AggregateOp agg, Form form, bool dryRun,
                       ParamMap &delta, std::string &why) {
  switch (form) {
  case Form::A:
    return lowerToA(agg, dryRun, delta, why);
  case Form::B:
    return lowerToB(agg, dryRun, delta, why);
  case Form::C:
    return lowerToC(agg, dryRun, delta, why);
  }
  llvm_unreachable("unknown form");
}

void remark(nn::AggregateOp agg, Form form, const std::string &why) {
  agg.emitRemark() << "no form (" << stringifyForm(form)
                   << ") for this nn.aggregate: " << why;
}

} // namespace

LogicalResult canLowerAggregate(nn::AggregateOp op, Form form,
                                std::string *why) {
  ParamMap delta;
  std::string reason;
  if (succeeded(lowerOne(op, form, /*dryRun=*/true, delta, reason)))
    return success();
  if (why)
    *why = reason;
  return failure();
}

FailureOr<ParamMap> lowerAggregate(nn::AggregateOp op, Form form,
                                   bool emitRemarks) {
  Operation *root = topLevelRoot(op);
  ParamMap delta;
  std::string why;
  if (failed(lowerOne(op, form, /*dryRun=*/false, delta, why))) {
    if (emitRemarks)
      remark(op, form, why);
    return failure();
  }
  return completeParamMap(delta, root);
}

namespace detail {

FailureOr<ParamMap> lowerAggregatesDelta(Operation *root, Form form,
                                         bool emitRemarks) {
  ParamMap delta;
  if (form == Form::A) {
    // Outermost first: cloning renames the inner templates' parameters with
    // the outer tag, then each inner aggregate applies its own.
    while (true) {
      SmallVector<nn::AggregateOp> top;
      root->walk<WalkOrder::PreOrder>([&](nn::AggregateOp agg) {
        top.push_back(agg);
        return WalkResult::skip();
      });
      if (top.empty())
        break;
      for (nn::AggregateOp agg : top) {
        std::string why;
        if (failed(lowerToA(agg, false, delta, why))) {
          if (emitRemarks)
            remark(agg, form, why);
          return failure();
        }
      }
    }
    return delta;
  }
  SmallVector<nn::AggregateOp> all;
  root->walk([&](nn::AggregateOp agg) { all.push_back(agg); });
  for (nn::AggregateOp agg : all) {
    std::string why;
    if (failed(lowerOne(agg, form, false, delta, why)) && emitRemarks)
      remark(agg, form, why);
  }
  return delta;
}

} // namespace detail

FailureOr<ParamMap> lowerAggregates(Operation *root, Form form) {
  FailureOr<ParamMap> delta =
      detail::lowerAggregatesDelta(root, form, /*emitRemarks=*/true);
  if (failed(delta))
    return failure();
  return completeParamMap(*delta, root);
}

} // namespace cardinal
