//===- ModelStats.h - parameter and multiply-add counts of an nn module ---===//
#ifndef CARDINAL_PASSES_MODELSTATS_H
#define CARDINAL_PASSES_MODELSTATS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cardinal {

/// One row of the paper's Table 1.
struct StageStats {
  std::string name;            // first component of the layers' names
  std::vector<int64_t> output; // [C, H, W] or [features]
  std::string blockTemplate;   // e.g. "[1x1, 128; 3x3, 128, C=32; 1x1, 256]"
  int64_t blocks = 0;          // 0: the stage is not made of blocks
  int64_t params = 0;
  int64_t macs = 0;            // per image, conv + fc
};

struct ModelStats {
  std::string model;
  std::vector<int64_t> input; // shape of the first nn.input
  int64_t params = 0;
  int64_t macs = 0;
  std::vector<StageStats> stages;
};

/// Counts the first function of `module`; fails (with a diagnostic on the
/// module) when it holds no function.
mlir::FailureOr<ModelStats> computeModelStats(mlir::ModuleOp module);

std::string formatStatsTable(const ModelStats &stats);
std::string formatStatsJson(const ModelStats &stats);

/// 25028904 -> "25,028,904"; 4230479872 -> "4.230G" (human forms).
std::string withCommas(int64_t n);
std::string humanCount(int64_t n);

} // namespace cardinal

#endif // CARDINAL_PASSES_MODELSTATS_H
