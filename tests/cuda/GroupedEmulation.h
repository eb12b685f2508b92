//===- GroupedEmulation.h - GroupedConv.cuh's launch sequences, emulated ---===//
//
// The launches a grouped 3x3 launcher makes, run under CudaEmulation.h, for
// the emulation tests of the plain and the fused kernels to share.
// Include after CudaEmulation.h.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_GROUPEDEMULATION_H
#define CARDINAL_TESTS_CUDA_GROUPEDEMULATION_H

#include "CudaTestUtil.h"

#include "runtime/cuda/GroupedConvKernels.cuh"

#include <cmath>
#include <cstdint>
#include <vector>

namespace cardinal::rt::cuda::test {

/// backward weight as grouped3x3::backwardWeight launches it: per-slice
/// partials (as many slices as `workspaceBytes` allows), then their sum in
/// slice order into dw. Bn: relu(BN(x)) recomputed from x while staging.
/// Returns the slice split it used.
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          bool Bn = false>
grouped3x3::WeightSplit emulateGroupedBackwardWeight(
    int64_t n, const float *x, const float *dy, float *dw,
    size_t workspaceBytes, grouped3x3::InputBn bn = {}) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  const auto split = grouped3x3::weightSplit(
      n, int64_t(G::WgtGridX) * G::WgtGridY, G::Weights, workspaceBytes);
  std::vector<float> partial(split.slices * G::Weights, NAN);
  cuda_emulation::launch(
      {G::WgtGridX, G::WgtGridY, static_cast<unsigned>(split.slices)},
      G::WgtThreads, [&] {
        grouped3x3::backwardWeightKernel<Groups, CinG, CoutG, H, W, Stride,
                                         float, Bn>(n, split.perSlice, x, dy,
                                                    partial.data(), bn);
      });
  cuda_emulation::launch({blocksOf(G::Weights, 256), 1, 1}, 256, [&] {
    detail::sumSlicesKernel<float>(G::Weights, split.slices, partial.data(),
                                   dw);
  });
  return split;
}

} // namespace cardinal::rt::cuda::test

#endif // CARDINAL_TESTS_CUDA_GROUPEDEMULATION_H
