//===- ConvertForm.cpp - --nn-convert-form=form=a|b|c ----------------------===//
#include "passes/FormLowering.h"
#include "passes/FormRecognition.h"
#include "passes/ParamMap.h"
#include "passes/Passes.h"

namespace cardinal {
#define GEN_PASS_DEF_CONVERTFORM
#include "passes/Passes.h.inc"
} // namespace cardinal

namespace {

struct ConvertFormPass
    : public cardinal::impl::ConvertFormBase<ConvertFormPass> {
  using ConvertFormBase::ConvertFormBase;

  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    std::optional<cardinal::Form> f = cardinal::parseForm(form);
    if (!f) {
      module.emitError() << "--nn-convert-form: unknown form '" << form
                         << "' (expected a, b or c)";
      return signalPassFailure();
    }
    mlir::FailureOr<cardinal::ParamMap> map =
        cardinal::convertForms(module, *f);
    if (failed(map) || failed(cardinal::recordParamMap(module, *map)))
      return signalPassFailure();
  }
};

} // namespace
