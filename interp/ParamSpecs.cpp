//===- ParamSpecs.cpp - the named values an nn function reads -------------===//
#include "interp/ParamSpecs.h"

#include "interp/PathNames.h"
#include "ir/NNDialect.h"

#include <set>

using namespace mlir;

namespace cardinal::interp {

std::string resolvePathName(const std::string &name,
                            const std::vector<int64_t> &indices) {
  std::string n = name;
  for (int64_t i : indices) // outermost first, as PathNames.h prescribes
    n = pathParamName(n, i);
  return n;
}

static std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<ShapedType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

static bool isIntegerTensor(Value v) {
  return isa<IntegerType>(cast<ShapedType>(v.getType()).getElementType());
}

namespace {
// Walks a block as the interpreter does: each aggregate path once per index.
struct ParamCollector {
  std::vector<int64_t> path;
  std::set<std::string> seen;
  std::vector<ValueSpec> specs;

  void add(Operation *op, StringRef name, StringRef init, bool isState) {
    std::string full = resolvePathName(name.str(), path);
    if (!seen.insert(full).second)
      return;
    specs.push_back({full, shapeOf(op->getResult(0)), init.str(), isState,
                     false, op});
  }

  void walk(Block &block) {
    for (Operation &op : block) {
      if (auto p = dyn_cast<nn::ParamOp>(op)) {
        add(&op, p.getName(), p.getInit(), false);
      } else if (auto s = dyn_cast<nn::StateOp>(op)) {
        add(&op, s.getName(), s.getInit(), true);
      } else if (auto agg = dyn_cast<nn::AggregateOp>(op)) {
        for (int64_t i = 0; i < (int64_t)agg.getCardinality(); ++i) {
          path.push_back(i);
          walk(agg.getBody().front());
          path.pop_back();
        }
      }
    }
  }
};
} // namespace

std::vector<ValueSpec> paramSpecs(func::FuncOp f) {
  ParamCollector c;
  if (!f.getBody().empty())
    c.walk(f.getBody().front());
  return std::move(c.specs);
}

std::vector<ValueSpec> inputSpecs(func::FuncOp f) {
  std::set<std::string> seen;
  std::vector<ValueSpec> specs;
  f.walk([&](nn::InputOp op) {
    std::string name = op.getName().str();
    if (seen.insert(name).second)
      specs.push_back({name, shapeOf(op.getResult()), "", false,
                       isIntegerTensor(op.getResult()), op});
  });
  return specs;
}

} // namespace cardinal::interp
