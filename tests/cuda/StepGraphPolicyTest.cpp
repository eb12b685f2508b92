//===- StepGraphPolicyTest.cpp - when the step is a graph, and which ------===//

#include "runtime/cuda/StepGraphPolicy.h"

#include <gtest/gtest.h>

#include <vector>

namespace cardinal::rt::cuda {
namespace {

StepGraphKey keyWithLr(float lr) {
  StepGraphKey k;
  k.lr = lr, k.momentum = 0.9f, k.weightDecay = 1e-4f;
  return k;
}

using A = StepAction;

/// Runs steps alternating slots 0, 1, with every capture succeeding.
std::vector<A> alternate(StepGraphPolicy &p, int steps, StepGraphKey key,
                         bool enabled = true, bool eager = false) {
  std::vector<A> out;
  for (int i = 0; i < steps; ++i) {
    const int slot = i % 2;
    const A a = p.next(enabled, eager, slot, key);
    if (a == A::Capture)
      p.captured(slot, key);
    out.push_back(a);
  }
  return out;
}

TEST(StepGraphPolicyTest, WarmsUpThenCapturesEachSlotOnceThenReplays) {
  StepGraphPolicy p(2, 2);
  EXPECT_EQ(alternate(p, 7, keyWithLr(0.1f)),
            (std::vector<A>{A::Eager, A::Eager, A::Capture, A::Capture,
                            A::Replay, A::Replay, A::Replay}));
  EXPECT_EQ(p.steps(), 7);
  EXPECT_EQ(p.captures(), 2);
  EXPECT_EQ(p.replays(), 5); // a capture is replayed at once
}

TEST(StepGraphPolicyTest, ANewKeyIsCapturedAgainPerSlot) {
  StepGraphPolicy p(2, 2);
  alternate(p, 4, keyWithLr(0.1f));
  // The next epoch's learning rate: both slots recapture, then replay.
  EXPECT_EQ(alternate(p, 4, keyWithLr(0.01f)),
            (std::vector<A>{A::Capture, A::Capture, A::Replay, A::Replay}));
  StepGraphKey moved = keyWithLr(0.01f);
  int buffer = 0;
  moved.normalized = &buffer; // a library buffer was re-allocated
  EXPECT_EQ(p.next(true, false, 0, moved), A::Capture);
}

TEST(StepGraphPolicyTest, EagerStepsDisabledGraphsAndBadSlotsRunEagerly) {
  StepGraphPolicy p(2, 2);
  alternate(p, 4, keyWithLr(0.1f));
  EXPECT_EQ(p.next(true, /*eager=*/true, 0, keyWithLr(0.1f)), A::Eager);
  EXPECT_EQ(p.next(/*enabled=*/false, false, 0, keyWithLr(0.1f)), A::Eager);
  EXPECT_EQ(p.next(true, false, 2, keyWithLr(0.1f)), A::Eager);
  EXPECT_EQ(p.next(true, false, -1, keyWithLr(0.1f)), A::Eager);
  EXPECT_EQ(p.next(true, false, 1, keyWithLr(0.1f)), A::Replay);
}

TEST(StepGraphPolicyTest, AFailedCaptureTurnsGraphsOffForGood) {
  StepGraphPolicy p(1, 2);
  EXPECT_EQ(p.next(true, false, 0, keyWithLr(0.1f)), A::Eager);
  EXPECT_EQ(p.next(true, false, 1, keyWithLr(0.1f)), A::Capture);
  p.failed();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(p.next(true, false, i % 2, keyWithLr(0.1f)), A::Eager);
  EXPECT_EQ(p.captures(), 0);
}

TEST(StepGraphPolicyTest, KeysCompareEveryFieldBitwise) {
  const StepGraphKey a = keyWithLr(0.1f);
  StepGraphKey b = a;
  EXPECT_TRUE(a == b);
  b.weightDecay = 0.f;
  EXPECT_FALSE(a == b);
  b = a;
  b.normalizedBytes = 64;
  EXPECT_FALSE(a == b);
  b = a;
  b.lr = 0.1000001f;
  EXPECT_FALSE(a == b);
}

} // namespace
} // namespace cardinal::rt::cuda
