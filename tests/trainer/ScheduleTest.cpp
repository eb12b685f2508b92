//===- ScheduleTest.cpp - the learning-rate schedule -----------------------===//

#include "runtime/trainer/Schedule.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace cardinal::rt;

namespace {

LrSchedule parsed(const std::string &spec) {
  LrSchedule s;
  std::string error;
  EXPECT_TRUE(parseSchedule(spec, s, error)) << error;
  return s;
}

} // namespace

TEST(ScheduleTest, Constant) {
  const LrSchedule s = parsed("constant");
  for (int64_t e = 0; e < 10; ++e)
    EXPECT_DOUBLE_EQ(s.lr(0.1, e, 10), 0.1);
}

TEST(ScheduleTest, StepDividesByTenAtEachMilestone) {
  const LrSchedule s = parsed("step:3,5");
  EXPECT_EQ(s.spec(), "step:3,5");
  EXPECT_DOUBLE_EQ(s.lr(1.0, 0, 10), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 2, 10), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 3, 10), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 4, 10), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 5, 10), 0.01);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 9, 10), 0.01);
}

TEST(ScheduleTest, PaperIsTheCifarRecipe) {
  // CIFAR: 300 epochs, lr 0.1 divided by 10 at 150 and 225.
  const LrSchedule s = parsed("paper");
  EXPECT_DOUBLE_EQ(s.lr(0.1, 0, 300), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(0.1, 149, 300), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(0.1, 150, 300), 0.01);
  EXPECT_DOUBLE_EQ(s.lr(0.1, 224, 300), 0.01);
  EXPECT_DOUBLE_EQ(s.lr(0.1, 225, 300), 0.001);
  EXPECT_DOUBLE_EQ(s.lr(0.1, 299, 300), 0.001);
  // Odd totals round the milestones up: 15 epochs -> 8 and 12.
  EXPECT_DOUBLE_EQ(s.lr(1.0, 7, 15), 1.0);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 8, 15), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 11, 15), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(1.0, 12, 15), 0.01);
  // A one-epoch run is not decayed at all.
  EXPECT_DOUBLE_EQ(s.lr(1.0, 0, 1), 1.0);
}

TEST(ScheduleTest, CosineGoesFromBaseTowardsZero) {
  const LrSchedule s = parsed("cosine");
  EXPECT_DOUBLE_EQ(s.lr(0.2, 0, 10), 0.2);
  EXPECT_NEAR(s.lr(0.2, 5, 10), 0.1, 1e-12);
  EXPECT_NEAR(s.lr(0.2, 9, 10), 0.1 * (1 + std::cos(M_PI * 0.9)), 1e-12);
  for (int64_t e = 1; e < 10; ++e)
    EXPECT_LT(s.lr(0.2, e, 10), s.lr(0.2, e - 1, 10));
}

TEST(ScheduleTest, WarmupRampsLinearlyThenFollowsTheSchedule) {
  LrSchedule s = parsed("step:6");
  s.warmup = 4;
  EXPECT_DOUBLE_EQ(s.lr(0.8, 0, 10), 0.2);
  EXPECT_DOUBLE_EQ(s.lr(0.8, 1, 10), 0.4);
  EXPECT_DOUBLE_EQ(s.lr(0.8, 2, 10), 0.6);
  EXPECT_DOUBLE_EQ(s.lr(0.8, 3, 10), 0.8);
  EXPECT_DOUBLE_EQ(s.lr(0.8, 5, 10), 0.8);
  EXPECT_NEAR(s.lr(0.8, 6, 10), 0.08, 1e-15);
  // Warmup multiplies cosine too.
  LrSchedule c = parsed("cosine");
  c.warmup = 2;
  EXPECT_DOUBLE_EQ(c.lr(1.0, 0, 4), 0.5);
}

TEST(ScheduleTest, RejectsMalformedSpecs) {
  for (const char *bad : {"", "linear", "step:", "step:3,", "step:0",
                          "step:5,3", "step:a", "step:3,3", "Paper"}) {
    LrSchedule s;
    std::string error;
    EXPECT_FALSE(parseSchedule(bad, s, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}
