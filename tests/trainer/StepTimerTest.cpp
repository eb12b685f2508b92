//===- StepTimerTest.cpp - per-call step timing and its table -------------===//

#include "runtime/trainer/StepTimer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace cardinal::rt;

namespace {

const std::vector<CallName> kCalls = {{"conv2d_forward", "stem.conv"},
                                      {"bn_train_relu", "stem.relu"},
                                      {"conv2d_forward", "stage2.conv1"},
                                      {"sgd_update", "stem.conv.weight"}};

/// A clock the test advances by hand.
struct FakeClock {
  double t = 0;
  WallStepTimer::Clock clock() {
    return [this] { return t; };
  }
};

} // namespace

TEST(StepTimerTest, EachIntervalGoesToTheCallMarkedBeforeIt) {
  FakeClock c;
  WallStepTimer timer(kCalls, c.clock());
  for (int step = 0; step < 2; ++step) {
    const double took[4] = {0.004, 0.001, 0.002, 0.0005};
    for (int i = 0; i < 4; ++i) {
      timer.mark(i);
      c.t += took[i];
    }
    timer.endStep();
    c.t += 1.0; // between steps: belongs to no call
  }
  ASSERT_EQ(timer.calls().size(), 4u);
  EXPECT_EQ(timer.steps(), 2);
  EXPECT_NEAR(timer.calls()[0].seconds, 0.008, 1e-12);
  EXPECT_NEAR(timer.calls()[1].seconds, 0.002, 1e-12);
  EXPECT_NEAR(timer.calls()[2].seconds, 0.004, 1e-12);
  EXPECT_NEAR(timer.calls()[3].seconds, 0.001, 1e-12);
  EXPECT_EQ(timer.calls()[2].origin, "stage2.conv1");
}

TEST(StepTimerTest, SkippedMarksChargeTheLastMarkedCall) {
  // Work between marks (a data-parallel hook) is charged to the call
  // marked before it; a mark outside the table is ignored.
  FakeClock c;
  WallStepTimer timer(kCalls, c.clock());
  timer.mark(0);
  c.t += 0.003;
  timer.mark(3);
  c.t += 0.001;
  timer.mark(99);
  c.t += 0.5;
  timer.endStep();
  EXPECT_NEAR(timer.calls()[0].seconds, 0.003, 1e-12);
  EXPECT_NEAR(timer.calls()[3].seconds, 0.001, 1e-12);
  EXPECT_EQ(timer.calls()[1].seconds, 0.0);
}

TEST(StepTimerTest, TableGroupsByKernelLargestFirstThenSlowestCalls) {
  FakeClock c;
  WallStepTimer timer(kCalls, c.clock());
  const double took[4] = {0.004, 0.001, 0.002, 0.003};
  for (int step = 0; step < 2; ++step) {
    for (int i = 0; i < 4; ++i) {
      timer.mark(i);
      c.t += took[i];
    }
    timer.endStep();
  }
  const std::string table = formatStepProfile(timer, 2);
  // 10 ms per step in all; conv2d_forward: 2 calls, 6 ms = 60%.
  EXPECT_NE(table.find("profile: 2 steps, 4 kernel calls per step, 10.000 ms "
                       "per step"),
            std::string::npos)
      << table;
  const size_t conv = table.find("conv2d_forward                          2 "
                                 "     6.000    60.0");
  const size_t sgd = table.find("sgd_update");
  const size_t bn = table.find("bn_train_relu");
  ASSERT_NE(conv, std::string::npos) << table;
  EXPECT_LT(conv, sgd); // 6 ms, then 3 ms, then 1 ms
  EXPECT_LT(sgd, bn);
  const size_t slowest = table.find("slowest 2 calls:");
  ASSERT_NE(slowest, std::string::npos) << table;
  const std::string tail = table.substr(slowest);
  EXPECT_NE(tail.find("#0 "), std::string::npos) << tail; // 4 ms
  EXPECT_NE(tail.find("#3 "), std::string::npos) << tail; // 3 ms
  EXPECT_EQ(tail.find("#2 "), std::string::npos) << tail; // 2 ms: not shown
  EXPECT_NE(tail.find("stem.conv.weight"), std::string::npos) << tail;
  EXPECT_NE(tail.find("40.0%"), std::string::npos) << tail;
}
