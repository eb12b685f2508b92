//===- GroupedConvEmulationTest.cpp - the grouped 3x3 kernels, run on host -===//
//
// The shape-specialized kernels of runtime/cuda/GroupedConvKernels.cuh,
// executed under CudaEmulation.h with the launch grids the real launchers
// use (Geometry's grid constants, weightSplit), against the CPU runtime's
// conv on the same inputs: forward (+bias), backward-data (+accumulate),
// backward-weight through per-slice partials. Covers stride 1 and 2, odd
// extents, rectangular inputs, CinG != CoutG and the channel chunking of
// wide (CIFAR) groups. This is what checks the tiling and staging logic
// on a machine without a GPU.
//
//===----------------------------------------------------------------------===//
#include "CudaEmulation.h" // first: defines the CUDA keywords

#include "CudaTestUtil.h"

#include "GroupedEmulation.h"

#include "runtime/cuda/GroupedConvKernels.cuh"
#include "runtime/kernels/Conv2d.h"

#include <gtest/gtest.h>

namespace cardinal::rt::cuda {
namespace {

using cuda_emulation::launch;
using test::randomFloats;
using test::relError;

template <int Groups, int CinG, int CoutG, int H, int W, int Stride>
void checkShape(int64_t n, int64_t maxSlicesByWorkspace) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  const ConvShape s = ConvShape::make(n, Groups * CinG, H, W, Groups * CoutG,
                                      3, 3, Stride, 1, 1, Groups);
  ASSERT_TRUE(s.valid());
  ASSERT_EQ(s.oh, G::OH);
  ASSERT_EQ(s.ow, G::OW);
  std::mt19937 rng(61);
  auto x = randomFloats(rng, s.inputSize()), w = randomFloats(rng, s.weightSize()),
       bias = randomFloats(rng, s.o), dy = randomFloats(rng, s.outputSize()),
       dx0 = randomFloats(rng, s.inputSize());
  const unsigned un = static_cast<unsigned>(n);

  std::vector<float> yRef(s.outputSize()), y(s.outputSize(), NAN);
  rt::conv2dForward<float>(s, x.data(), w.data(), bias.data(), yRef.data());
  launch({G::FwdGridX, G::FwdGridY, un}, G::FwdThreads, [&] {
    grouped3x3::forwardKernel<Groups, CinG, CoutG, H, W, Stride, float>(
        x.data(), w.data(), bias.data(), y.data());
  });
  EXPECT_LT(relError(y, yRef), 1e-5) << "forward";

  std::vector<float> dxRef = dx0, dx = dx0;
  rt::conv2dBackwardData<float>(s, dy.data(), w.data(), dxRef.data(), true);
  launch({G::BwdGridX, G::BwdGridY, un}, G::BwdThreads, [&] {
    grouped3x3::backwardDataKernel<Groups, CinG, CoutG, H, W, Stride, float>(
        dy.data(), w.data(), dx.data(), true);
  });
  EXPECT_LT(relError(dx, dxRef), 1e-5) << "backward data (accumulate)";
  std::vector<float> dxOver(s.inputSize(), NAN), dxPlain(s.inputSize());
  rt::conv2dBackwardData<float>(s, dy.data(), w.data(), dxPlain.data());
  launch({G::BwdGridX, G::BwdGridY, un}, G::BwdThreads, [&] {
    grouped3x3::backwardDataKernel<Groups, CinG, CoutG, H, W, Stride, float>(
        dy.data(), w.data(), dxOver.data(), false);
  });
  EXPECT_LT(relError(dxOver, dxPlain), 1e-5) << "backward data (overwrite)";

  std::vector<float> dwRef(s.weightSize()), dw(s.weightSize(), NAN);
  rt::conv2dBackwardWeight<float>(s, x.data(), dy.data(), dwRef.data(),
                                  nullptr);
  const size_t workspace =
      sizeof(float) * G::Weights * static_cast<size_t>(maxSlicesByWorkspace);
  const auto split =
      test::emulateGroupedBackwardWeight<Groups, CinG, CoutG, H, W, Stride>(
          n, x.data(), dy.data(), dw.data(), workspace);
  ASSERT_GE(split.slices * split.perSlice, n);
  ASSERT_LE(split.slices, maxSlicesByWorkspace);
  EXPECT_LT(relError(dw, dwRef), 1e-5)
      << "backward weight, " << split.slices << " slices";
}

TEST(GroupedConvEmulationTest, ResNeXt32x4dStride1) {
  checkShape<32, 4, 4, 8, 8, 1>(2, 64);
}
TEST(GroupedConvEmulationTest, ResNeXt32x4dStride2OddExtent) {
  checkShape<32, 4, 4, 9, 9, 2>(3, 64);
}
TEST(GroupedConvEmulationTest, WiderGroupsStride2TiledRows) {
  // 30 wide: several row tiles per image, a partial last tile.
  checkShape<4, 8, 8, 30, 30, 2>(2, 64);
}
TEST(GroupedConvEmulationTest, ManyRowTilesStride1) {
  checkShape<2, 4, 4, 40, 12, 1>(2, 1); // one slice: workspace-bound
}
TEST(GroupedConvEmulationTest, RectangularAndUnequalWidths) {
  checkShape<3, 4, 8, 5, 6, 1>(2, 64);
  checkShape<3, 8, 4, 7, 5, 2>(3, 2);
}
TEST(GroupedConvEmulationTest, CifarWidthChannelChunks) {
  // d = 64: forward and backward-data stage channels in several chunks.
  using G = grouped3x3::Geometry<1, 64, 64, 6, 6, 1>;
  static_assert(G::FwdCo < 64 && G::BwdCi < 64, "chunked outputs");
  checkShape<1, 64, 64, 6, 6, 1>(1, 64);
}
TEST(GroupedConvEmulationTest, Table2Width14SplitsWeightPixels) {
  // Table 2's (C, d) = (8, 14): 2x2 weight chunks of 9 taps = 36 weights a
  // block, so 7 threads share each weight's pixels and reduce through
  // shared memory (the widths of 4 above give one thread per weight).
  using G = grouped3x3::Geometry<8, 14, 14, 7, 7, 1>;
  static_assert(G::WgtParts > 1, "pixels split over threads");
  checkShape<8, 14, 14, 7, 7, 1>(2, 64);
}
TEST(GroupedConvEmulationTest, OddGroupWidthStride2) {
  using G = grouped3x3::Geometry<4, 3, 3, 9, 7, 2>;
  static_assert(G::WgtParts > 1, "pixels split over threads");
  checkShape<4, 3, 3, 9, 7, 2>(2, 64);
}
TEST(GroupedConvEmulationTest, InputChunkingUnderSharedBudget) {
  // 160 input channels at 8x8 exceed 40 KB of staged input: chunked.
  using G = grouped3x3::Geometry<1, 160, 8, 8, 8, 1>;
  static_assert(G::FwdCi < 160, "input channels chunked");
  checkShape<1, 160, 8, 8, 8, 1>(1, 64);
}

} // namespace
} // namespace cardinal::rt::cuda
