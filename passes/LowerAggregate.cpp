//===- LowerAggregate.cpp - --nn-lower-aggregate=form=a|b|c ----------------===//
#include "passes/FormLowering.h"
#include "passes/ParamMap.h"
#include "passes/Passes.h"

namespace cardinal {
#define GEN_PASS_DEF_LOWERAGGREGATE
#include "passes/Passes.h.inc"
} // namespace cardinal

namespace {

struct LowerAggregatePass
    : public cardinal::impl::LowerAggregateBase<LowerAggregatePass> {
  using LowerAggregateBase::LowerAggregateBase;

  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    std::optional<cardinal::Form> f = cardinal::parseForm(form);
    if (!f) {
      module.emitError() << "--nn-lower-aggregate: unknown form '" << form
                         << "' (expected a, b or c)";
      return signalPassFailure();
    }
    mlir::FailureOr<cardinal::ParamMap> map =
        cardinal::lowerAggregates(module, *f);
    if (failed(map) || failed(cardinal::recordParamMap(module, *map)))
      return signalPassFailure();
  }
};

} // namespace
