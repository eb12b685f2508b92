//===- BnReference.h - the CPU training BN the CUDA BN kernels must match -===//
//
// For the emulation tests (plain C++): batch-statistics BN, or BN + ReLU,
// forward and backward over one batch with the CPU runtime kernels.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_BNREFERENCE_H
#define CARDINAL_TESTS_CUDA_BNREFERENCE_H

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/FusedBn.h"

#include <vector>

namespace cardinal::rt::cuda::test {

struct BnReference {
  std::vector<float> y, mean, invstd, runningMean, runningVar;
  std::vector<float> dx, dscale, dshift;
};

/// Forward from x (running statistics starting at rm0, rv0), then backward
/// of dy (through the ReLU when `relu`).
inline BnReference cpuTrainBn(const ActShape &s, bool relu,
                              const std::vector<float> &x,
                              const std::vector<float> &dy,
                              const std::vector<float> &scale,
                              const std::vector<float> &shift,
                              const std::vector<float> &rm0,
                              const std::vector<float> &rv0, float eps,
                              float momentum) {
  BnReference r;
  r.y.resize(s.size()), r.mean.resize(s.c), r.invstd.resize(s.c);
  r.runningMean = rm0, r.runningVar = rv0;
  (relu ? rt::bnTrainReluForward<float> : rt::batchNormForwardTrain<float>)(
      s, x.data(), scale.data(), shift.data(), eps, momentum, r.y.data(),
      r.mean.data(), r.invstd.data(), r.runningMean.data(),
      r.runningVar.data());
  r.dx.resize(s.size()), r.dscale.resize(s.c), r.dshift.resize(s.c);
  if (relu)
    rt::bnReluBackward<float>(s, x.data(), r.y.data(), dy.data(),
                              scale.data(), r.mean.data(), r.invstd.data(),
                              r.dx.data(), r.dscale.data(), r.dshift.data());
  else
    rt::batchNormBackward<float>(s, x.data(), dy.data(), scale.data(),
                                 r.mean.data(), r.invstd.data(), r.dx.data(),
                                 r.dscale.data(), r.dshift.data());
  return r;
}

} // namespace cardinal::rt::cuda::test

#endif // CARDINAL_TESTS_CUDA_BNREFERENCE_H
