//===- FormRecognition.cpp - blocks in forms (a), (b), (c) -> any form ----===//
#include "passes/FormRecognition.h"

#include "interp/PathNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cardinal::detail;

namespace cardinal {

namespace {

//===----------------------------------------------------------------------===//
// Matches
//===----------------------------------------------------------------------===//

/// One parameter slot of a raised template: its template name, and how each
/// path's instance is made from the input graph's parameters.
struct TemplateParam {
  Operation *proto;            // op cloned into the template (name, init)
  std::string name;            // template name N
  std::vector<int64_t> shape;  // per-path shape
  // How path i's instance is made: a whole source (rename) or a slice.
  std::vector<Piece> perPath;
  std::vector<std::vector<int64_t>> sourceShapes;
};

struct Match {
  Form form;
  Operation *root = nullptr;
  int64_t C = 0;
  Value x;
  // (a)/(b): template ops = path-0 ops and absorbed shared ops, block order.
  std::vector<Operation *> templateOps;
  llvm::DenseMap<Operation *, size_t> paramIndex; // path-0 param -> params[]
  Value leaf0;                                   // (a) the yielded value
  // (b): the concat and the conv's weight; (c): the chain, x side first.
  Operation *concat = nullptr;
  std::vector<Operation *> chain;
  llvm::DenseMap<std::pair<Operation *, unsigned>, size_t> operandParam;
  std::vector<TemplateParam> params;
  // Ops that become dead once the root is replaced (erased afterwards).
  llvm::SetVector<Operation *> erase;
  std::vector<Operation *> absorbed;
};

int64_t channels(Value v) { return shapeOf(v.getType())[1]; }

//===----------------------------------------------------------------------===//
// Isomorphic paths
//===----------------------------------------------------------------------===//

struct Paths {
  Value x;
  std::vector<Operation *> ops0;                 // path 0, block order
  llvm::DenseMap<Operation *, SmallVector<Operation *>> tuple; // per path-0 op
  std::vector<Operation *> absorbed;             // shared ops recomputed
  llvm::SetVector<Operation *> all;              // every path's ops
};

DictionaryAttr comparableAttrs(Operation *op) {
  NamedAttrList attrs(op->getAttrDictionary());
  if (isParamLike(op))
    attrs.erase("name");
  return attrs.getDictionary(op->getContext());
}

/// Empty when a and b are the same op up to parameter names.
std::string opDifference(Operation *a, Operation *b) {
  if (a->getName() != b->getName())
    return "it is " + describe(b) + " where path 0 has " + describe(a);
  if (a->getNumRegions() || b->getNumRegions())
    return describe(a) + " holds a region";
  if (a->getNumOperands() != b->getNumOperands() ||
      a->getResultTypes() != b->getResultTypes() ||
      a->getOperandTypes() != b->getOperandTypes())
    return describe(b) + " has other operand or result types than path 0's " +
           describe(a);
  DictionaryAttr da = comparableAttrs(a), db = comparableAttrs(b);
  if (da == db)
    return "";
  auto show = [](Attribute attr) {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (attr)
      attr.print(os);
    else
      os << "absent";
    return text;
  };
  for (NamedAttribute na : da) {
    Attribute other = db.get(na.getName());
    if (other != na.getValue())
      return describe(b) + " has " + na.getName().str() + " = " +
             show(other) + " where path 0's " + describe(a) + " has " +
             show(na.getValue());
  }
  for (NamedAttribute nb : db)
    if (!da.get(nb.getName()))
      return describe(b) + " has " + nb.getName().str() + " = " +
             show(nb.getValue()) + " where path 0's " + describe(a) +
             " has none";
  return describe(b) + " has other attributes than path 0's " + describe(a);
}

FailureOr<Paths> matchPaths(ArrayRef<Value> leaves,
                            const llvm::SmallPtrSetImpl<Operation *> &consumers,
                            Block *block, std::string &why) {
  const size_t C = leaves.size();
  Paths paths;
  llvm::DenseMap<Value, SmallVector<Value>> seen; // path-0 value -> tuple
  std::vector<llvm::DenseMap<Value, Value>> back(C);
  llvm::SetVector<Value> frontier;
  llvm::DenseMap<Operation *, size_t> owner; // path op -> its path
  SmallVector<SmallVector<Value>> work;
  for (size_t i = 1; i < C; ++i)
    for (size_t j = 0; j < i; ++j)
      if (leaves[i] == leaves[j]) {
        why = "the same value is summed twice";
        return failure();
      }
  work.emplace_back(leaves.begin(), leaves.end());
  auto fail = [&](const std::string &msg) {
    why = msg;
    return failure();
  };
  while (!work.empty()) {
    SmallVector<Value> t = work.pop_back_val();
    Value v0 = t[0];
    auto it = seen.find(v0);
    if (it != seen.end()) {
      if (it->second != t)
        return fail("the paths' subgraphs are wired differently");
      continue;
    }
    seen[v0] = t;
    if (llvm::all_of(t, [&](Value v) { return v == v0; })) {
      if (Operation *p = paramDef(v0))
        return fail("the paths share parameter '" + paramName(p).str() + "'");
      frontier.insert(v0);
      continue;
    }
    for (size_t i = 0; i < C; ++i) {
      for (size_t j = 0; j < i; ++j)
        if (t[i] == t[j])
          return fail("paths " + std::to_string(j) + " and " +
                      std::to_string(i) + " share a value the others do not");
      auto [b, inserted] = back[i].try_emplace(t[i], v0);
      if (!inserted && b->second != v0)
        return fail("the paths' subgraphs are wired differently");
    }
    SmallVector<Operation *> ops;
    for (size_t i = 0; i < C; ++i) {
      auto r = dyn_cast<OpResult>(t[i]);
      if (!r)
        return fail("path " + std::to_string(i) +
                    " reads a block argument where the others do not");
      if (r.getOwner()->getBlock() != block)
        return fail("path " + std::to_string(i) + " leaves the block");
      if (r.getResultNumber() != cast<OpResult>(v0).getResultNumber())
        return fail("the paths use different results of their ops");
      ops.push_back(r.getOwner());
    }
    for (size_t i = 1; i < C; ++i) {
      std::string diff = opDifference(ops[0], ops[i]);
      if (!diff.empty())
        return fail("path " + std::to_string(i) + " differs from path 0: " +
                    diff);
    }
    if (paths.tuple.count(ops[0]))
      continue;
    if (isParamLike(ops[0])) {
      std::set<std::string> names;
      for (Operation *op : ops)
        names.insert(paramName(op).str());
      if (names.size() != C)
        return fail("two paths' parameters share the name '" +
                    paramName(ops[0]).str() + "'");
    }
    paths.tuple[ops[0]] = ops;
    paths.ops0.push_back(ops[0]);
    for (size_t i = 0; i < C; ++i) {
      auto [o, inserted] = owner.try_emplace(ops[i], i);
      if (!inserted && o->second != i)
        return fail(describe(ops[i]) + " belongs to two paths");
      paths.all.insert(ops[i]);
    }
    for (unsigned k = 0; k < ops[0]->getNumOperands(); ++k) {
      SmallVector<Value> next;
      for (Operation *op : ops)
        next.push_back(op->getOperand(k));
      work.push_back(std::move(next));
    }
  }
  // One shared input: absorb param-free ops of shared values until only one
  // value is left (each path recomputes them in the template).
  while (frontier.size() > 1) {
    Operation *latest = nullptr;
    for (Value f : frontier) {
      Operation *def = f.getDefiningOp();
      if (!def || def->getBlock() != block || isParamLike(def) ||
          def->getNumRegions() || def->getNumOperands() == 0 ||
          !isa<nn::NNDialect>(def->getDialect()))
        continue;
      if (!latest || latest->isBeforeInBlock(def))
        latest = def;
    }
    if (!latest)
      return fail("the paths read " + std::to_string(frontier.size()) +
                  " different outside values, not one block input");
    paths.absorbed.push_back(latest);
    for (Value r : latest->getResults())
      frontier.remove(r);
    for (Value v : latest->getOperands()) {
      if (Operation *p = paramDef(v))
        return fail("the paths share parameter '" + paramName(p).str() + "'");
      frontier.insert(v);
    }
  }
  if (frontier.empty())
    return fail("the paths read no common input");
  if (llvm::none_of(paths.ops0, [](Operation *op) { return isParamLike(op); }))
    return fail("the paths own no parameters");
  paths.x = frontier.front();
  // Every path op is private to its path.
  for (Operation *op : paths.all)
    for (Operation *user : op->getUsers()) {
      if (consumers.contains(user))
        continue;
      auto o = owner.find(user);
      if (o == owner.end())
        return fail(describe(op) + " is also used outside the block");
      if (o->second != owner.lookup(op))
        return fail(describe(op) + " of path " +
                    std::to_string(owner.lookup(op)) + " is also used by path " +
                    std::to_string(o->second));
    }
  llvm::sort(paths.ops0, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  return paths;
}

/// Template parameters of isomorphic paths (names per the header's rule).
void collectPathParams(const Paths &paths, Match &m) {
  for (Operation *op0 : paths.ops0) {
    if (!isParamLike(op0))
      continue;
    const SmallVector<Operation *> &ops = paths.tuple.lookup(op0);
    TemplateParam tp;
    tp.proto = op0;
    tp.shape = shapeOf(op0->getResult(0).getType());
    std::string n0 = paramName(op0).str();
    std::optional<std::string> tagged;
    if (auto split = splitPathParamName(n0); split && split->second == 0) {
      bool all = true;
      for (size_t i = 0; i < ops.size() && all; ++i)
        all = pathParamName(split->first, i) == paramName(ops[i]);
      if (all)
        tagged = split->first;
    }
    tp.name = tagged ? *tagged : n0;
    for (Operation *op : ops) {
      tp.perPath.push_back(Piece{paramName(op).str(), 0, 0, tp.shape[0]});
      tp.sourceShapes.push_back(tp.shape);
    }
    m.paramIndex[op0] = m.params.size();
    m.params.push_back(std::move(tp));
  }
}

/// If every path's parameters carry one `path<k>` tag and the tags are a
/// permutation of 0..C-1, the leaves in tag order.
std::optional<SmallVector<Value>> leavesInTagOrder(const Paths &paths,
                                                   ArrayRef<Value> leaves) {
  const size_t C = leaves.size();
  std::vector<int64_t> tagOf(C, -1);
  for (Operation *op0 : paths.ops0) {
    if (!isParamLike(op0))
      continue;
    const SmallVector<Operation *> &ops = paths.tuple.lookup(op0);
    for (size_t i = 0; i < C; ++i) {
      auto split = splitPathParamName(paramName(ops[i]).str());
      if (!split)
        return std::nullopt;
      if (tagOf[i] == -1)
        tagOf[i] = split->second;
      else if (tagOf[i] != split->second)
        return std::nullopt;
    }
  }
  SmallVector<Value> ordered(C);
  std::vector<bool> used(C, false);
  for (size_t i = 0; i < C; ++i) {
    if (tagOf[i] < 0 || tagOf[i] >= static_cast<int64_t>(C) || used[tagOf[i]])
      return std::nullopt;
    used[tagOf[i]] = true;
    ordered[tagOf[i]] = leaves[i];
  }
  return ordered;
}

//===----------------------------------------------------------------------===//
// (a): add trees
//===----------------------------------------------------------------------===//

bool isInnerAdd(Operation *op) {
  return isa<nn::AddOp>(op) && op->hasOneUse() &&
         isa<nn::AddOp>(*op->user_begin());
}

void collectTree(Operation *add, SmallVector<Value> &leaves,
                 llvm::SmallPtrSetImpl<Operation *> &adds) {
  adds.insert(add);
  for (Value v : add->getOperands()) {
    Operation *def = v.getDefiningOp();
    if (def && isa<nn::AddOp>(def) && def->hasOneUse() &&
        def->getBlock() == add->getBlock())
      collectTree(def, leaves, adds);
    else
      leaves.push_back(v);
  }
}

/// Whether one leaf is computed from another (looking back a bounded number
/// of ops): then the add joins a value with a later one of its own chain (a
/// residual join), not parallel paths.
bool leavesNested(ArrayRef<Value> leaves) {
  llvm::DenseSet<Value> targets(leaves.begin(), leaves.end());
  for (Value leaf : leaves) {
    SmallVector<Value> work{leaf};
    llvm::DenseSet<Value> seen{leaf};
    int budget = 256;
    while (!work.empty() && budget-- > 0) {
      Operation *def = work.pop_back_val().getDefiningOp();
      if (!def)
        continue;
      for (Value v : def->getOperands()) {
        if (targets.contains(v) && v != leaf)
          return true;
        if (seen.insert(v).second)
          work.push_back(v);
      }
    }
  }
  return false;
}

FailureOr<Match> matchA(Operation *root, std::string &why, bool &candidate) {
  SmallVector<Value> leaves;
  llvm::SmallPtrSet<Operation *, 16> adds;
  collectTree(root, leaves, adds);
  candidate = (leaves.size() >= 3 || llvm::all_of(leaves, [](Value v) {
                 return v.getDefiningOp<nn::Conv2dOp>() != nullptr;
               })) &&
              !leavesNested(leaves);
  FailureOr<Paths> paths =
      matchPaths(leaves, adds, root->getBlock(), why);
  if (succeeded(paths)) {
    if (auto ordered = leavesInTagOrder(*paths, leaves);
        ordered && *ordered != leaves) {
      std::string ignored;
      FailureOr<Paths> again =
          matchPaths(*ordered, adds, root->getBlock(), ignored);
      if (succeeded(again)) {
        leaves = *ordered;
        paths = std::move(again);
      }
    }
    Match m;
    m.form = Form::A;
    m.root = root;
    m.C = leaves.size();
    m.x = paths->x;
    m.leaf0 = leaves[0];
    m.templateOps = paths->ops0;
    m.templateOps.insert(m.templateOps.end(), paths->absorbed.begin(),
                         paths->absorbed.end());
    llvm::sort(m.templateOps, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    m.absorbed = paths->absorbed;
    collectPathParams(*paths, m);
    for (Operation *op : paths->all)
      m.erase.insert(op);
    for (Operation *add : adds)
      m.erase.insert(add);
    return m;
  }
  // A sub-tree may be the block (e.g. sum + x with no BN in between).
  for (Value v : root->getOperands()) {
    Operation *def = v.getDefiningOp();
    if (def && adds.contains(def)) {
      std::string subWhy;
      bool subCandidate = false;
      FailureOr<Match> sub = matchA(def, subWhy, subCandidate);
      if (succeeded(sub))
        return sub;
    }
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// (b): conv of concat
//===----------------------------------------------------------------------===//

FailureOr<Match> matchB(nn::Conv2dOp conv, std::string &why, bool &candidate) {
  auto concat = conv.getInput().getDefiningOp<nn::ConcatOp>();
  candidate = conv.getGroups() == 1 && concat && concat.getAxis() == 1 &&
              concat.getInputs().size() >= 2;
  if (!candidate)
    return failure();
  const std::string rule =
      " (form (b): a groups-1 conv without bias on an axis-1 concat of "
      "isomorphic paths)";
  if (conv.getBias()) {
    why = describe(conv) + " has a bias" + rule;
    return failure();
  }
  auto w = conv.getWeight().getDefiningOp<nn::ParamOp>();
  if (!w || !w->hasOneUse() || w->getBlock() != conv->getBlock()) {
    why = "the weight of " + describe(conv) +
          " is not an nn.param used by it alone" + rule;
    return failure();
  }
  if (!concat->hasOneUse()) {
    why = "the concat is also used outside the block" + rule;
    return failure();
  }
  SmallVector<Value> leaves(concat.getInputs().begin(),
                            concat.getInputs().end());
  llvm::SmallPtrSet<Operation *, 4> consumers;
  consumers.insert(concat);
  FailureOr<Paths> paths =
      matchPaths(leaves, consumers, conv->getBlock(), why);
  if (failed(paths)) {
    why += rule;
    return failure();
  }
  Match m;
  m.form = Form::B;
  m.root = conv;
  m.C = leaves.size();
  m.x = paths->x;
  m.leaf0 = leaves[0];
  m.concat = concat;
  m.templateOps = paths->ops0;
  m.templateOps.insert(m.templateOps.end(), paths->absorbed.begin(),
                       paths->absorbed.end());
  llvm::sort(m.templateOps, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  m.absorbed = paths->absorbed;
  collectPathParams(*paths, m);
  // The conv's weight: C slices along axis 1.
  TemplateParam tp;
  tp.proto = w;
  tp.name = w.getName().str();
  std::vector<int64_t> full = shapeOf(w.getType());
  int64_t d = channels(leaves[0]);
  tp.shape = full;
  tp.shape[1] = d;
  for (int64_t i = 0; i < m.C; ++i) {
    tp.perPath.push_back(Piece{tp.name, 1, i * d, d});
    tp.sourceShapes.push_back(full);
  }
  m.operandParam[{conv, 1}] = m.params.size();
  m.params.push_back(std::move(tp));
  for (Operation *op : paths->all)
    m.erase.insert(op);
  m.erase.insert(concat);
  m.erase.insert(w);
  return m;
}

//===----------------------------------------------------------------------===//
// (c): dense conv, grouped convs, dense conv
//===----------------------------------------------------------------------===//

bool isChannelwise(Operation *op) {
  return op && isa<nn::BatchNormOp, nn::ReluOp>(op);
}

FailureOr<Match> matchC(nn::Conv2dOp conv, std::string &why, bool &candidate) {
  candidate = false;
  if (conv.getGroups() != 1)
    return failure();
  Operation *op = conv.getInput().getDefiningOp();
  while (isChannelwise(op))
    op = op->getOperand(0).getDefiningOp();
  auto grouped = dyn_cast_or_null<nn::Conv2dOp>(op);
  if (!grouped || grouped.getGroups() < 2)
    return failure();
  candidate = true;
  const int64_t C = grouped.getGroups();
  const std::string rule =
      " (form (c): dense conv, channelwise ops, convs with groups divisible "
      "by C, channelwise ops, dense conv)";
  // Walk back from the root to the first dense conv.
  std::vector<Operation *> chain{conv};
  Operation *first = nullptr;
  for (Value v = conv.getInput();;) {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != conv->getBlock()) {
      why = "the grouped " + describe(grouped) +
            " is not reached from a dense conv" + rule;
      return failure();
    }
    chain.push_back(def);
    if (isChannelwise(def)) {
      v = def->getOperand(0);
      continue;
    }
    auto c = dyn_cast<nn::Conv2dOp>(def);
    if (!c) {
      why = describe(def) + " lies between the grouped " + describe(grouped) +
            " and a dense conv" + rule;
      return failure();
    }
    if (c.getGroups() == 1) {
      first = def;
      break;
    }
    if (c.getGroups() % C != 0) {
      why = describe(c) + " has groups " + std::to_string(c.getGroups()) +
            ", not a multiple of C = " + std::to_string(C) + rule;
      return failure();
    }
    v = c.getInput();
  }
  std::reverse(chain.begin(), chain.end());
  if (conv.getBias()) {
    why = "the final " + describe(conv) + " has a bias" + rule;
    return failure();
  }
  if (channels(first->getResult(0)) % C != 0) {
    why = "the first " + describe(first) + " has " +
          std::to_string(channels(first->getResult(0))) +
          " output channels, not a multiple of C = " + std::to_string(C) +
          rule;
    return failure();
  }
  for (Operation *op : chain) {
    if (op != conv.getOperation() && !op->hasOneUse()) {
      why = describe(op) + " is also used outside the block" + rule;
      return failure();
    }
    for (unsigned k = 1; k < op->getNumOperands(); ++k) {
      Operation *p = paramDef(op->getOperand(k));
      if (!p || !p->hasOneUse() || p->getBlock() != conv->getBlock()) {
        why = "operand #" + std::to_string(k) + " of " + describe(op) +
              " is not a parameter used by it alone" + rule;
        return failure();
      }
    }
  }
  Match m;
  m.form = Form::C;
  m.root = conv;
  m.C = C;
  m.x = first->getOperand(0);
  m.chain = chain;
  for (Operation *op : chain) {
    bool isRoot = op == conv.getOperation();
    for (unsigned k = 1; k < op->getNumOperands(); ++k) {
      Operation *p = paramDef(op->getOperand(k));
      int64_t axis = isRoot && k == 1 ? 1 : 0;
      TemplateParam tp;
      tp.proto = p;
      tp.name = paramName(p).str();
      std::vector<int64_t> full = shapeOf(p->getResult(0).getType());
      tp.shape = full;
      int64_t s = full[axis] / C;
      tp.shape[axis] = s;
      for (int64_t i = 0; i < C; ++i) {
        tp.perPath.push_back(Piece{tp.name, axis, i * s, s});
        tp.sourceShapes.push_back(full);
      }
      m.operandParam[{op, k}] = m.params.size();
      m.params.push_back(std::move(tp));
      m.erase.insert(p);
    }
    m.erase.insert(op);
  }
  return m;
}

//===----------------------------------------------------------------------===//
// Raising a match to nn.aggregate
//===----------------------------------------------------------------------===//

Operation *cloneParam(OpBuilder &b, const TemplateParam &tp) {
  Operation *c = b.clone(*tp.proto);
  setParamName(c, tp.name);
  c->getResult(0).setType(withShape(tp.proto->getResult(0).getType(), tp.shape));
  return c;
}

nn::AggregateOp buildAggregate(const Match &m) {
  OpBuilder b(m.root);
  Value result = m.root->getResult(0);
  auto agg = b.create<nn::AggregateOp>(m.root->getLoc(), result.getType(), m.x,
                                       b.getI64IntegerAttr(m.C));
  Block *body = new Block();
  agg.getBody().push_back(body);
  Value arg = body->addArgument(m.x.getType(), m.x.getLoc());
  OpBuilder tb = OpBuilder::atBlockEnd(body);
  IRMapping map;
  map.map(m.x, arg);
  Value yielded;
  if (m.form == Form::A || m.form == Form::B) {
    for (Operation *op : m.templateOps) {
      Operation *c = tb.clone(*op, map);
      auto it = m.paramIndex.find(op);
      if (it != m.paramIndex.end())
        setParamName(c, m.params[it->second].name);
    }
    if (m.form == Form::A) {
      yielded = map.lookup(m.leaf0);
    } else {
      auto conv = cast<nn::Conv2dOp>(m.root);
      const TemplateParam &tp = m.params[m.operandParam.lookup({conv, 1})];
      Operation *w = cloneParam(tb, tp);
      IRMapping cm = map;
      cm.map(conv.getInput(), map.lookup(m.leaf0));
      cm.map(conv.getWeight(), w->getResult(0));
      yielded = tb.clone(*conv, cm)->getResult(0);
    }
  } else {
    for (Operation *op : m.chain) {
      for (unsigned k = 1; k < op->getNumOperands(); ++k) {
        const TemplateParam &tp = m.params[m.operandParam.lookup({op, k})];
        map.map(op->getOperand(k), cloneParam(tb, tp)->getResult(0));
      }
      Operation *c = tb.clone(*op, map);
      if (op == m.root) {
        yielded = c->getResult(0);
        continue;
      }
      std::vector<int64_t> s = shapeOf(op->getResult(0).getType());
      s[1] /= m.C;
      c->getResult(0).setType(withShape(op->getResult(0).getType(), s));
      if (auto cc = dyn_cast<nn::Conv2dOp>(c); cc && cc.getGroups() > 1)
        cc.setGroupsAttr(tb.getI64IntegerAttr(cc.getGroups() / m.C));
    }
  }
  tb.create<nn::YieldOp>(m.root->getLoc(), yielded);
  return agg;
}

/// Raise map entries: instance pathParamName(N, i) <- what path i read.
void raiseDelta(const Match &m, ParamMap &delta) {
  for (const TemplateParam &tp : m.params)
    for (int64_t i = 0; i < m.C; ++i) {
      std::string target = pathParamName(tp.name, i);
      const Piece &p = tp.perPath[i];
      const std::vector<int64_t> &src = tp.sourceShapes[i];
      if (p.source == target && src == tp.shape)
        continue; // identity
      ParamMapEntry e;
      e.target = target;
      e.shape = tp.shape;
      e.axis = p.axis;
      e.pieces.push_back(p);
      delta.entries.push_back(std::move(e));
      delta.sources[p.source] = src;
    }
}

void commit(const Match &m, nn::AggregateOp agg) {
  m.root->getResult(0).replaceAllUsesWith(agg.getResult());
  std::vector<Operation *> dead(m.erase.begin(), m.erase.end());
  dead.push_back(m.root);
  llvm::sort(dead, [](Operation *a, Operation *b) {
    return b->isBeforeInBlock(a);
  });
  dead.erase(std::unique(dead.begin(), dead.end()), dead.end());
  for (Operation *op : dead)
    if (op->use_empty())
      op->erase();
  std::vector<Operation *> absorbed = m.absorbed;
  llvm::sort(absorbed, [](Operation *a, Operation *b) {
    return b->isBeforeInBlock(a);
  });
  for (Operation *op : absorbed)
    if (op->use_empty())
      op->erase();
}

//===----------------------------------------------------------------------===//
// Scanning a module
//===----------------------------------------------------------------------===//

const char *formLetter(Form f) {
  switch (f) {
  case Form::A:
    return "a";
  case Form::B:
    return "b";
  case Form::C:
    return "c";
  }
  return "?";
}

/// Tries every candidate root at `op`.
FailureOr<Match> matchAt(Operation *op, bool emitRemarks) {
  std::string why;
  bool candidate = false;
  FailureOr<Match> m = failure();
  Form tried = Form::A;
  if (isa<nn::AddOp>(op) && !isInnerAdd(op)) {
    m = matchA(op, why, candidate);
  } else if (auto conv = dyn_cast<nn::Conv2dOp>(op)) {
    tried = Form::B;
    m = matchB(conv, why, candidate);
    if (!candidate) {
      tried = Form::C;
      m = matchC(conv, why, candidate);
    }
  }
  if (failed(m) && candidate && emitRemarks)
    op->emitRemark() << "not a block in form (" << formLetter(tried)
                     << "): " << why;
  return m;
}

enum class Mode { Recognize, Raise };

LogicalResult scanBlock(Block &block, Mode mode, std::optional<Form> target,
                        ParamMap &delta, std::vector<FormBlock> *found,
                        bool emitRemarks) {
  llvm::DenseSet<Operation *> tried;
  for (Operation *op = block.empty() ? nullptr : &block.front(); op;) {
    Operation *next = op->getNextNode();
    if (!tried.insert(op).second) {
      op = next;
      continue;
    }
    FailureOr<Match> m = matchAt(op, emitRemarks);
    if (failed(m)) {
      op = next;
      continue;
    }
    if (found)
      found->push_back(FormBlock{m->form, m->root, m->C});
    if (mode == Mode::Recognize || (target && m->form == *target)) {
      op = next;
      continue;
    }
    nn::AggregateOp agg = buildAggregate(*m);
    if (target) {
      std::string why;
      if (failed(canLowerAggregate(agg, *target, &why))) {
        agg.erase();
        if (emitRemarks)
          m->root->emitRemark()
              << "block in form (" << formLetter(m->form) << ") has no form ("
              << formLetter(*target) << "): " << why;
        op = next;
        continue;
      }
    }
    raiseDelta(*m, delta);
    for (Operation *dead : m->erase)
      tried.erase(dead);
    tried.erase(m->root);
    for (Operation *dead : m->absorbed)
      tried.erase(dead);
    commit(*m, agg);
    tried.insert(agg);
    op = agg->getNextNode();
  }
  return success();
}

LogicalResult scanModule(ModuleOp module, Mode mode, std::optional<Form> target,
                         ParamMap &delta, std::vector<FormBlock> *found,
                         bool emitRemarks) {
  for (auto func : module.getOps<func::FuncOp>())
    for (Block &block : func.getBody())
      if (failed(scanBlock(block, mode, target, delta, found, emitRemarks)))
        return failure();
  return success();
}

} // namespace

std::vector<FormBlock> recognizeForms(ModuleOp module, bool emitRemarks) {
  std::vector<FormBlock> found;
  ParamMap delta;
  (void)scanModule(module, Mode::Recognize, std::nullopt, delta, &found,
                   emitRemarks);
  return found;
}

FailureOr<ParamMap> raiseForms(ModuleOp module, std::optional<Form> target) {
  ParamMap delta;
  if (failed(scanModule(module, Mode::Raise, target, delta, nullptr,
                        /*emitRemarks=*/true)))
    return failure();
  return completeParamMap(delta, module);
}

FailureOr<ParamMap> convertForms(ModuleOp module, Form form) {
  FailureOr<ParamMap> raised = raiseForms(module, form);
  if (failed(raised))
    return failure();
  FailureOr<ParamMap> lowered = lowerAggregates(module, form);
  if (failed(lowered))
    return failure();
  std::string error;
  FailureOr<ParamMap> composed = tryCompose(*raised, *lowered, &error);
  if (failed(composed)) {
    module.emitError() << "form conversion: parameter maps do not compose: "
                       << error;
    return failure();
  }
  return composed;
}

} // namespace cardinal
