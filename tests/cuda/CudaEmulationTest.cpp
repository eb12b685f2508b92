//===- CudaEmulationTest.cpp - the emulator's barriers and schedules ------===//
//
// The emulated kernel tests are only as good as the emulator: a missing
// __syncthreads() must show up in one of the two schedules
// (CudaEmulation.h), whichever thread writes first.
//
//===----------------------------------------------------------------------===//
#include "CudaEmulation.h" // first: defines the CUDA keywords

#include <gtest/gtest.h>

#include <vector>

namespace {

using cuda_emulation::launch;

constexpr unsigned kThreads = 64;

/// Sets the schedule for one scope, then puts back the one the process
/// runs under (the ctest entry that reverses everything).
struct Schedule {
  explicit Schedule(bool reverse) : saved(cuda_emulation::reverseOrder()) {
    cuda_emulation::setReverseOrder(reverse);
  }
  ~Schedule() { cuda_emulation::setReverseOrder(saved); }
  bool saved;
};

/// Thread 0 publishes a value through shared memory that every thread
/// reads; `barrier` says whether a __syncthreads() separates the two.
std::vector<float> broadcastFromThread0(bool barrier, bool reverse) {
  Schedule schedule(reverse);
  std::vector<float> out(2 * kThreads);
  launch({2, 1, 1}, kThreads, [&] {
    __shared__ float value;
    if (threadIdx.x == 0)
      value = 10.f + blockIdx.x;
    if (barrier)
      __syncthreads();
    out[blockIdx.x * kThreads + threadIdx.x] = value;
    __syncthreads();
    if (threadIdx.x == 0)
      value = -1.f; // what a late reader of the next block would see
  });
  return out;
}

/// Every thread publishes its index; thread 0 sums them all.
float sumAtThread0(bool barrier, bool reverse) {
  Schedule schedule(reverse);
  float sum = 0.f;
  launch({1, 1, 1}, kThreads, [&] {
    __shared__ float slot[kThreads];
    slot[threadIdx.x] = static_cast<float>(threadIdx.x + 1);
    if (barrier)
      __syncthreads();
    if (threadIdx.x == 0)
      for (unsigned t = 0; t < kThreads; ++t)
        sum += slot[t];
    __syncthreads();
    slot[threadIdx.x] = 0.f; // stale values for the next launch
  });
  return sum;
}

TEST(CudaEmulationTest, WithBarriersBothSchedulesAgree) {
  const std::vector<float> forward = broadcastFromThread0(true, false);
  EXPECT_EQ(forward, broadcastFromThread0(true, true));
  EXPECT_EQ(forward[0], 10.f);
  EXPECT_EQ(forward[2 * kThreads - 1], 11.f);
  EXPECT_EQ(sumAtThread0(true, false), kThreads * (kThreads + 1) / 2.f);
  EXPECT_EQ(sumAtThread0(true, true), kThreads * (kThreads + 1) / 2.f);
}

TEST(CudaEmulationTest, MissingBarrierFailsInOneOfTheSchedules) {
  // A low thread writes, higher ones read: the forward schedule hides it,
  // the reverse one does not.
  const std::vector<float> good = broadcastFromThread0(true, false);
  EXPECT_EQ(broadcastFromThread0(false, false), good);
  EXPECT_NE(broadcastFromThread0(false, true), good);
  // Higher threads write, thread 0 reads: the other way round.
  const float all = kThreads * (kThreads + 1) / 2.f;
  EXPECT_NE(sumAtThread0(false, false), all);
  EXPECT_EQ(sumAtThread0(false, true), all);
}

} // namespace
