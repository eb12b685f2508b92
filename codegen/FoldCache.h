//===- FoldCache.h - predict()'s BN-folded weights, folded once ------------===//
//
// nn.conv2d_bn_act needs W' = W·γ/√(σ²+ε) and b' = β − μ·γ/√(σ²+ε). Folding
// on every predict() call rereads and rewrites every conv weight (~200 MB of
// traffic per ResNeXt-50 batch); instead the generated model keeps the
// folded weights of all its conv2d_bn_act calls in one member array,
// refolded lazily after anything may have changed the weights or BN
// statistics: trainStep, tensorsWritten() and every tensors() call (the
// emitter adds those invalidations; this class prints the cache itself).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_FOLDCACHE_H
#define CARDINAL_CODEGEN_FOLDCACHE_H

#include "codegen/KernelPlan.h"

#include <string>
#include <vector>

namespace cardinal::codegen {

class FoldCache {
public:
  /// The statement that runs conv2d_bn_act call `c` on cached folded
  /// weights (records its fold). `shape` is the ConvShape initializer,
  /// `ptrs` the pointer expressions of c.inputs then c.outputs.
  std::string call(const KernelCall &c, const std::string &shape,
                   const std::vector<std::string> &ptrs);
  /// Member declarations: the array, its validity flag and foldWeights_().
  std::string members() const;
  /// The first statement of predict().
  static std::string ensureFolded() {
    return "    if (!foldedValid_)\n      foldWeights_();\n";
  }
  /// The statement that marks the cache stale.
  static std::string invalidate() { return "foldedValid_ = false;"; }

private:
  std::vector<std::string> folds_;
  int64_t floats_ = 0; // size of the array
};

} // namespace cardinal::codegen

#endif
