//===- GroupedConv.cuh - shape-specialized grouped 3x3 conv kernels -------===//
//
// The ResNeXt hot spot: a 3x3 conv, padding 1, with C groups of narrow width
// d (32x4d: d = 4..32 at 56..7 pixels, stride 1 or 2). cuDNN's grouped
// convolutions run such shapes as many tiny GEMMs or fall back to slow
// paths; a direct kernel whose loops are all compile-time constants does
// better. Generated .cu files instantiate, with the plan's constants,
//
//   groupedConv3x3Forward     <Groups, CinG, CoutG, H, W, Stride, T>
//   groupedConv3x3BackwardData<Groups, CinG, CoutG, H, W, Stride, T>
//   groupedConv3x3BackwardWeight<Groups, CinG, CoutG, H, W, Stride, T>
//
// (H, W: input extent; CinG/CoutG: channels per group; T: float or
// __nv_bfloat16; weights of type T, weight gradients fp32). Same results as
// conv2d* on ConvShape::make(n, Groups*CinG, H, W, Groups*CoutG, 3, 3,
// Stride, 1, 1, Groups). Only the instantiated shapes are compiled: the
// library itself instantiates none.
//
// Design (all three kernels):
//  - A block owns one (sample, group, chunk of output channels, tile of
//    rows). The rows of the group's input it needs (with the zero halo of
//    the padding) are staged in shared memory once and then read 9 x
//    CoutChunk times; the group's weights for the chunk are staged too and
//    read as warp-wide broadcasts (every thread uses the same weight at the
//    same time), so they cost no bank conflicts.
//  - Threads map to output pixels along a row, so every global load and
//    store is a run of consecutive addresses in NCHW (coalesced), and the
//    shared-memory reads of neighbouring threads hit neighbouring banks
//    (stride 2 layers: a 2-way conflict, still cheaper than a transpose).
//  - Staging converts to fp32 once; all accumulation is fp32 in registers
//    (one accumulator per output channel of the chunk, chunk <= 16 so
//    register use stays bounded for CIFAR's d = 64..256).
//  - Input channels are processed in chunks sized so shared memory stays
//    under 40 KB per block (several blocks per SM for latency hiding).
//  - Backward-weight reduces over samples and pixels without atomics: each
//    block sums a slice of samples into an fp32 partial in the workspace and
//    a second kernel adds the slices in order (deterministic).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH
#define CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/GroupedConvKernels.cuh"
#include "runtime/cuda/Workspace.h"

#include <cstdint>

namespace cardinal::rt::cuda {
namespace grouped3x3 {
inline void checkLaunch(const char *what) {
  checkCuda(cudaGetLastError(), what);
}
} // namespace grouped3x3

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3Forward(Context &ctx, int64_t n, const T *x, const T *w,
                           const T *bias, T *y) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const dim3 grid(G::FwdGridX, G::FwdGridY, static_cast<unsigned>(n));
  grouped3x3::forwardKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::FwdThreads, 0, ctx.stream>>>(x, w, bias, y);
  grouped3x3::checkLaunch("groupedConv3x3Forward");
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BackwardData(Context &ctx, int64_t n, const T *dy,
                                const T *w, T *dx, bool accumulate = false) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const dim3 grid(G::BwdGridX, G::BwdGridY, static_cast<unsigned>(n));
  grouped3x3::backwardDataKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::BwdThreads, 0, ctx.stream>>>(dy, w, dx, accumulate);
  grouped3x3::checkLaunch("groupedConv3x3BackwardData");
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BackwardWeight(Context &ctx, int64_t n, const T *x,
                                  const T *dy, float *dw, float *db) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const grouped3x3::WeightSplit split = grouped3x3::weightSplit(
      n, int64_t(G::WgtGridX) * G::WgtGridY, G::Weights, ctx.workspaceBytes);
  float *partial = workspaceAs<float>(ctx, split.slices * G::Weights,
                                      "groupedConv3x3BackwardWeight");
  const dim3 grid(G::WgtGridX, G::WgtGridY,
                  static_cast<unsigned>(split.slices));
  grouped3x3::backwardWeightKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::WgtThreads, 0, ctx.stream>>>(n, split.perSlice, x, dy,
                                               partial);
  const unsigned sumBlocks = static_cast<unsigned>((G::Weights + 255) / 256);
  grouped3x3::sumSlicesKernel<T><<<sumBlocks, 256, 0, ctx.stream>>>(
      G::Weights, split.slices, partial, dw);
  grouped3x3::checkLaunch("groupedConv3x3BackwardWeight");
  if (db)
    biasGrad(ctx, n, Groups * CoutG, int64_t(G::OH) * G::OW, dy, db);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH
