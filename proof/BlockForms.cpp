//===- BlockForms.cpp ------------------------------------------------------===//
#include "proof/BlockForms.h"

#include "passes/FormLowering.h"
#include "passes/ModelStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <set>

using namespace mlir;
namespace nn = cardinal::nn;

namespace cardinal::proof {

std::vector<nn::AggregateOp> findBlocks(ModuleOp model) {
  std::vector<nn::AggregateOp> blocks;
  for (auto f : model.getOps<func::FuncOp>()) {
    for (auto agg : f.getBody().getOps<nn::AggregateOp>())
      blocks.push_back(agg);
    break;
  }
  return blocks;
}

std::string blockName(nn::AggregateOp agg) {
  std::string name;
  agg.getBody().walk([&](nn::ParamOp p) {
    StringRef layer = p.getName().rsplit('.').first; // drop the leaf
    name = layer.contains('.') ? layer.rsplit('.').first.str() : layer.str();
    return WalkResult::interrupt();
  });
  return name.empty() ? "block" : name;
}

func::FuncOp blockFunction(ModuleOp m) {
  return *m.getOps<func::FuncOp>().begin();
}

OwningOpRef<ModuleOp> extractBlock(nn::AggregateOp agg) {
  OpBuilder b(agg.getContext());
  Location loc = agg.getLoc();
  OwningOpRef<ModuleOp> m = ModuleOp::create(loc);
  b.setInsertionPointToEnd(m->getBody());
  auto f = b.create<func::FuncOp>(loc, "block",
                                  b.getFunctionType({}, {agg.getType()}));
  b.setInsertionPointToStart(f.addEntryBlock());
  Value x = b.create<nn::InputOp>(loc, agg.getInput().getType(), "x");
  IRMapping map;
  map.map(agg.getInput(), x);
  Operation *clone = b.clone(*agg, map);
  b.create<func::ReturnOp>(loc, clone->getResults());
  return m;
}

FormCounts countForm(func::FuncOp f) {
  FormCounts c;
  std::set<Operation *> convWeights;
  f.walk([&](nn::Conv2dOp conv) {
    if (auto p = conv.getWeight().getDefiningOp<nn::ParamOp>())
      convWeights.insert(p);
  });
  int64_t total = 0;
  f.walk([&](nn::ParamOp p) {
    int64_t mult = 1;
    for (auto a = p->getParentOfType<nn::AggregateOp>(); a;
         a = a->getParentOfType<nn::AggregateOp>())
      mult *= a.getCardinality();
    int64_t n = cast<RankedTensorType>(p.getType()).getNumElements() * mult;
    total += n;
    if (convWeights.count(p))
      c.convParams += n;
  });
  c.bnParams = total - c.convParams;
  auto m = f->getParentOfType<ModuleOp>();
  auto stats = computeModelStats(m);
  if (succeeded(stats))
    c.macs = stats->macs;
  return c;
}

static BlockInfo describe(nn::AggregateOp agg) {
  BlockInfo info;
  info.name = blockName(agg);
  info.cardinality = agg.getCardinality();
  auto in = cast<RankedTensorType>(agg.getInput().getType());
  auto out = cast<RankedTensorType>(agg.getType());
  info.widthIn = in.getDimSize(1);
  info.widthOut = out.getDimSize(1);
  info.height = in.getRank() == 4 ? in.getDimSize(2) : 1;
  info.width = in.getRank() == 4 ? in.getDimSize(3) : 1;
  bool first = true;
  agg.getBody().walk([&](nn::Conv2dOp c) {
    if (first)
      info.bottleneck = cast<RankedTensorType>(c.getType()).getDimSize(1);
    first = false;
    info.stride = std::max<int64_t>(info.stride, c.getStrides()[0]);
  });
  return info;
}

BlockForms makeBlockForms(nn::AggregateOp agg) {
  BlockForms forms;
  forms.info = describe(agg);
  forms.aggregate = extractBlock(agg);
  const Form kinds[3] = {Form::A, Form::B, Form::C};
  for (int i = 0; i < 3; ++i) {
    OwningOpRef<ModuleOp> m = extractBlock(agg);
    nn::AggregateOp copy = *blockFunction(*m).getOps<nn::AggregateOp>().begin();
    // Diagnostics of a form that does not exist become the "why not" text.
    std::string why;
    {
      ScopedDiagnosticHandler handler(agg.getContext(), [&](Diagnostic &d) {
        if (why.empty())
          why = d.str();
        return success();
      });
      auto map = lowerAggregate(copy, kinds[i]);
      if (failed(map)) {
        forms.unavailable[i] = why.empty() ? "cannot be lowered" : why;
        continue;
      }
      forms.maps[i] = std::move(*map);
    }
    forms.counts[i] = countForm(blockFunction(*m));
    forms.forms[i] = std::move(m);
  }
  return forms;
}

} // namespace cardinal::proof
