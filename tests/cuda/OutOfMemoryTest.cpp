//===- OutOfMemoryTest.cpp - the out-of-GPU-memory message ----------------===//

#include "runtime/cuda/OutOfMemory.h"

#include <gtest/gtest.h>

namespace cardinal::rt::cuda {
namespace {

constexpr size_t kGiB = 1ull << 30;

bool has(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

TEST(OutOfMemoryTest, NamesTheSizesAndASmallerBatch) {
  // The model alone is larger than the GPU: only the batch helps.
  const std::string m = outOfDeviceMemoryMessage(
      "the model's planned device memory", 200 * kGiB, 139 * kGiB, 140 * kGiB,
      0);
  EXPECT_TRUE(has(m, "out of GPU memory: the model's planned device memory "
                     "needs 200.00 GiB; device 0 has 139.00 GiB free of "
                     "140.00 GiB."))
      << m;
  EXPECT_TRUE(has(m, "Rebuild with a smaller --batch")) << m;
  EXPECT_FALSE(has(m, "nvidia-smi")) << m;
}

TEST(OutOfMemoryTest, PointsAtOtherProcessesWhenTheyHoldTheMemory) {
  const std::string m = outOfDeviceMemoryMessage("the workspace", 20 * kGiB,
                                                 5 * kGiB, 140 * kGiB, 3);
  EXPECT_TRUE(has(m, "device 3 has 5.00 GiB free of 140.00 GiB")) << m;
  EXPECT_TRUE(has(m, "nvidia-smi")) << m;
  EXPECT_TRUE(has(m, "rebuild with a smaller --batch")) << m;
}

} // namespace
} // namespace cardinal::rt::cuda
