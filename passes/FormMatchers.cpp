//===- FormMatchers.cpp - forms (a), (b), (c) written out by hand ----===//
#include "passes/FormMatch.h"

#include "interp/PathNames.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cardinal::detail;

namespace cardinal::formmatch {

//===----------------------------------------------------------------------===//
// (a): add trees
//===----------------------------------------------------------------------===//

bool isInnerAdd(Operation *op) {
  return isa<nn::AddOp>(op) && op->hasOneUse() &&
         isa<nn::AddOp>(*op->user_begin());
}

static void collectTree(Operation *add, SmallVector<Value> &leaves,
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
static bool leavesNested(ArrayRef<Value> leaves) {
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

static bool isChannelwise(Operation *op) {
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


} // namespace cardinal::formmatch
