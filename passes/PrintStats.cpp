//===- PrintStats.cpp - --nn-print-stats -----------------------------------===//
#include "passes/ModelStats.h"
#include "passes/Passes.h"

#include "llvm/Support/raw_ostream.h"

namespace cardinal {
#define GEN_PASS_DEF_PRINTSTATS
#include "passes/Passes.h.inc"
} // namespace cardinal

namespace {

struct PrintStatsPass
    : public cardinal::impl::PrintStatsBase<PrintStatsPass> {
  using PrintStatsBase::PrintStatsBase;

  void runOnOperation() override {
    auto stats = cardinal::computeModelStats(getOperation());
    if (failed(stats))
      return signalPassFailure();
    llvm::outs() << (json ? cardinal::formatStatsJson(*stats)
                          : cardinal::formatStatsTable(*stats));
    markAllAnalysesPreserved();
  }
};

} // namespace
