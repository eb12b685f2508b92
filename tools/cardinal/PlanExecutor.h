//===- PlanExecutor.h - run a forward kernel plan in-process ---------------===//
//
// `cardinal equiv --time` times each form of a block on the CPU backend
// without generating and compiling C++: the kernel plan's forward calls are
// dispatched directly to runtime/kernels, over the same planned arena.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TOOLS_PLANEXECUTOR_H
#define CARDINAL_TOOLS_PLANEXECUTOR_H

#include "codegen/KernelPlan.h"

#include <map>
#include <string>
#include <vector>

namespace cardinal {

class PlanExecutor {
public:
  /// Allocates the arena and every persistent tensor (random values; BN
  /// variances positive) for `plan`, which must hold forward kernels only.
  explicit PlanExecutor(const codegen::KernelPlan &plan, uint64_t seed = 1);

  /// One forward pass on `images` (the plan's image shape); false with
  /// `error` on a kernel the executor does not know.
  bool run(const float *images, std::string &error);

  /// Median seconds of `repeats` passes after one warm-up.
  double time(int repeats, std::string &error);

private:
  float *ptr(const codegen::Buffer &b, const float *images);
  const codegen::KernelPlan &plan_;
  std::vector<char> arena_;
  std::map<std::string, std::vector<float>> tensors_;
  std::vector<float> images_;
};

} // namespace cardinal

#endif
