//===- FormRecognition.cpp - blocks in forms (a), (b), (c) -> any form ----===//
#include "passes/FormMatch.h"

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
using namespace cardinal::formmatch;

namespace cardinal {

namespace {

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
