//===- PathMatching.cpp - C isomorphic paths up to their parameters -===//
#include "passes/FormMatch.h"

#include "interp/PathNames.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cardinal::detail;

namespace cardinal::formmatch {


static DictionaryAttr comparableAttrs(Operation *op) {
  NamedAttrList attrs(op->getAttrDictionary());
  if (isParamLike(op))
    attrs.erase("name");
  return attrs.getDictionary(op->getContext());
}

/// Empty when a and b are the same op up to parameter names.
static std::string opDifference(Operation *a, Operation *b) {
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


} // namespace cardinal::formmatch
