//===- GraphMatch.cpp ------------------------------------------------------===//
#include "proof/GraphMatch.h"

#include "ir/NNDialect.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace cardinal::proof {

namespace {

struct Matcher {
  llvm::DenseMap<Value, Value> values;
  std::map<std::string, std::string> renaming, inverse;
  std::string mismatch;

  bool fail(Operation *a, Operation *b, const std::string &why) {
    if (mismatch.empty()) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << why << ": left '" << (a ? a->getName().getStringRef() : "value")
         << "'";
      if (a)
        os << " at " << a->getLoc();
      os << ", right '" << (b ? b->getName().getStringRef() : "value") << "'";
      mismatch = os.str();
    }
    return false;
  }

  bool rename(Operation *a, Operation *b, StringRef na, StringRef nb) {
    auto [it, fresh] = renaming.emplace(na.str(), nb.str());
    auto [jt, fresh2] = inverse.emplace(nb.str(), na.str());
    if (it->second != nb || jt->second != na)
      return fail(a, b, "parameter '" + na.str() + "' cannot map to '" +
                            nb.str() + "' (renaming is not a bijection)");
    return true;
  }

  bool attrsEqual(Operation *a, Operation *b) {
    if (isa<nn::ParamOp, nn::StateOp>(a))
      return a->getAttr("init") == b->getAttr("init");
    return a->getAttrDictionary() == b->getAttrDictionary() &&
           a->getPropertiesAsAttribute() == b->getPropertiesAsAttribute();
  }

  bool match(Value a, Value b) {
    auto it = values.find(a);
    if (it != values.end())
      return it->second == b ||
             fail(a.getDefiningOp(), b.getDefiningOp(),
                  "a value is shared on one side only");
    if (a.getType() != b.getType())
      return fail(a.getDefiningOp(), b.getDefiningOp(), "types differ");
    Operation *oa = a.getDefiningOp(), *ob = b.getDefiningOp();
    if (!oa || !ob) {
      auto ba = dyn_cast<BlockArgument>(a), bb = dyn_cast<BlockArgument>(b);
      if (!ba || !bb || ba.getArgNumber() != bb.getArgNumber())
        return fail(oa, ob, "block arguments differ");
      values[a] = b;
      return true;
    }
    if (oa->getName() != ob->getName() ||
        oa->getNumOperands() != ob->getNumOperands() ||
        oa->getNumRegions() != ob->getNumRegions())
      return fail(oa, ob, "different operations");
    if (oa->getNumRegions() != 0)
      return fail(oa, ob, "region ops are compared only after lowering");
    if (!attrsEqual(oa, ob))
      return fail(oa, ob, "attributes differ");
    if (auto pa = dyn_cast<nn::ParamOp>(oa))
      if (!rename(oa, ob, pa.getName(), cast<nn::ParamOp>(ob).getName()))
        return false;
    if (auto sa = dyn_cast<nn::StateOp>(oa))
      if (!rename(oa, ob, sa.getName(), cast<nn::StateOp>(ob).getName()))
        return false;
    values[a] = b;
    for (unsigned i = 0; i < oa->getNumOperands(); ++i)
      if (!match(oa->getOperand(i), ob->getOperand(i)))
        return false;
    return true;
  }
};

} // namespace

GraphMatch matchGraphs(func::FuncOp left, func::FuncOp right) {
  GraphMatch result;
  auto retA = cast<func::ReturnOp>(left.getBody().front().getTerminator());
  auto retB = cast<func::ReturnOp>(right.getBody().front().getTerminator());
  Matcher m;
  if (retA.getNumOperands() != retB.getNumOperands()) {
    result.mismatch = "the functions return different numbers of values";
    return result;
  }
  bool ok = true;
  for (unsigned i = 0; ok && i < retA.getNumOperands(); ++i)
    ok = m.match(retA.getOperand(i), retB.getOperand(i));
  result.equal = ok;
  result.mismatch = m.mismatch;
  result.renaming = std::move(m.renaming);
  return result;
}

} // namespace cardinal::proof
