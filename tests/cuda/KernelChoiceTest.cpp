//===- KernelChoiceTest.cpp - the timed kernel choice, with fake kernels --===//
//
// KernelChoice.h decides between the generated grouped 3x3 kernel and cuDNN
// in CUDA trainers; here the candidates, the timer and the side effects are
// host fakes, so the policy is checked without a GPU: the faster wins, only
// the winner runs afterwards, ties go to the first candidate, save/restore
// make a non-idempotent side effect happen exactly once, the environment
// override forces a candidate and a bad value is an error.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/KernelChoice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace cardinal::rt {
namespace {

const std::vector<std::string> kNames = {"generated", "cudnn"};

// Two fake kernels over a fake device: each writes its output and, like a
// statistics epilogue, adds to a running statistic (not idempotent). The
// timer reports the cost of the kernel it ran.
struct FakeDevice {
  double cost[2] = {1.0, 2.0}; // ms per run of each candidate
  int runs[2] = {0, 0};
  int lastRan = -1;
  double output = 0, running = 0;
  double saved = 0;
  int saves = 0, restores = 0;

  void kernel(int i) {
    ++runs[i];
    lastRan = i;
    output = 10 + i; // what it computes: which one ran
    running += 1;    // the in-place update one call must make exactly once
  }
  auto candidate(int i) {
    return [this, i] { kernel(i); };
  }
  auto timer() {
    return [this](RunRef run) {
      run();
      return cost[lastRan];
    };
  }
  auto save() {
    return [this] {
      ++saves;
      saved = running;
    };
  }
  auto restore() {
    return [this] {
      ++restores;
      running = saved;
    };
  }
  const ChoiceRecord &call(KernelChoice<int> &choice, int key) {
    return choice.run(key, {candidate(0), candidate(1)}, timer(), save(),
                      restore());
  }
};

TEST(KernelChoiceTest, PicksTheFasterThenRunsOnlyIt) {
  FakeDevice d;
  d.cost[0] = 3.0, d.cost[1] = 1.5; // cuDNN faster
  KernelChoice<int> choice(kNames, ChoicePolicy{}, /*timedRuns=*/2);
  const ChoiceRecord &r = d.call(choice, 7);
  EXPECT_TRUE(r.timed);
  EXPECT_EQ(r.winner, 1);
  EXPECT_DOUBLE_EQ(r.ms[0], 3.0);
  EXPECT_DOUBLE_EQ(r.ms[1], 1.5);
  // A warm-up and two timed runs each; the winner ran last, so no rerun.
  EXPECT_EQ(d.runs[0], 3);
  EXPECT_EQ(d.runs[1], 3);
  EXPECT_EQ(d.output, 11);
  const int before[2] = {d.runs[0], d.runs[1]};
  for (int i = 0; i < 5; ++i)
    d.call(choice, 7);
  EXPECT_EQ(d.runs[0], before[0]);
  EXPECT_EQ(d.runs[1], before[1] + 5);
  EXPECT_EQ(choice.records().size(), 1u);
}

TEST(KernelChoiceTest, AWinnerThatDidNotRunLastRunsOnceMore) {
  FakeDevice d; // generated faster (1 vs 2 ms), cuDNN tried last
  KernelChoice<int> choice(kNames, ChoicePolicy{}, 1);
  const ChoiceRecord &r = d.call(choice, 0);
  EXPECT_EQ(r.winner, 0);
  EXPECT_EQ(d.lastRan, 0);
  EXPECT_EQ(d.output, 10); // the winner's output, not cuDNN's
  EXPECT_EQ(d.runs[0], 3); // warm-up, timed, the final run
  EXPECT_EQ(d.runs[1], 2);
}

TEST(KernelChoiceTest, SideEffectsOfTheFirstCallAreOneCall) {
  for (int faster : {0, 1}) {
    FakeDevice d;
    d.cost[faster] = 0.5;
    d.running = 100;
    KernelChoice<int> choice(kNames, ChoicePolicy{}, 3);
    d.call(choice, 1);
    EXPECT_EQ(d.saves, 1);
    EXPECT_GE(d.restores, 7); // before every run but the first
    EXPECT_EQ(d.running, 101) << "faster " << faster;
    d.call(choice, 1); // later calls: no save/restore, one update each
    EXPECT_EQ(d.running, 102);
    EXPECT_EQ(d.saves, 1);
  }
}

TEST(KernelChoiceTest, TieGoesToTheFirstCandidate) {
  FakeDevice d;
  d.cost[0] = d.cost[1] = 2.0;
  KernelChoice<int> choice(kNames, ChoicePolicy{}, 1);
  EXPECT_EQ(d.call(choice, 3).winner, 0);
  EXPECT_EQ(d.output, 10);
}

TEST(KernelChoiceTest, KeysAreChosenSeparately) {
  FakeDevice d;
  KernelChoice<int> choice(kNames, ChoicePolicy{}, 1);
  EXPECT_EQ(d.call(choice, 1).winner, 0);
  d.cost[0] = 5.0;
  EXPECT_EQ(d.call(choice, 2).winner, 1);
  EXPECT_EQ(d.call(choice, 1).winner, 0); // cached, not re-timed
  EXPECT_EQ(choice.records().size(), 2u);
}

TEST(KernelChoiceTest, AFailingCandidateIsLeftOut) {
  FakeDevice d;
  d.cost[1] = 0.1; // would win, but throws
  KernelChoice<int> choice(kNames, ChoicePolicy{}, 1);
  auto failing = [] { throw std::runtime_error("no algorithm fits"); };
  const ChoiceRecord &r = choice.run(5, {d.candidate(0), failing}, d.timer(),
                                     d.save(), d.restore());
  EXPECT_EQ(r.winner, 0);
  EXPECT_EQ(r.failures[1], "no algorithm fits");
  EXPECT_TRUE(std::isinf(r.ms[1]));
  EXPECT_EQ(d.output, 10);
  EXPECT_EQ(d.running, 1); // restored after the warm-up, then one final run

  auto alsoFailing = [] { throw std::runtime_error("generated failed"); };
  KernelChoice<int> none(kNames, ChoicePolicy{}, 1);
  EXPECT_THROW(
      {
        try {
          none.run(5, {alsoFailing, failing}, d.timer(), d.save(),
                   d.restore());
        } catch (const std::runtime_error &e) {
          EXPECT_STREQ(e.what(), "generated failed");
          throw;
        }
      },
      std::runtime_error);
  EXPECT_TRUE(none.records().empty());
}

TEST(KernelChoiceTest, AForcedCandidateRunsAloneAndUntimed) {
  FakeDevice d;
  KernelChoice<int> choice(kNames, ChoicePolicy{1}, 3);
  const ChoiceRecord &r = d.call(choice, 4);
  EXPECT_FALSE(r.timed);
  EXPECT_EQ(r.winner, 1);
  EXPECT_TRUE(std::isnan(r.ms[0]));
  EXPECT_EQ(d.runs[0], 0);
  EXPECT_EQ(d.runs[1], 1);
  EXPECT_EQ(d.saves + d.restores, 0);
  EXPECT_EQ(d.running, 1);
}

TEST(KernelChoiceTest, EnvironmentOverride) {
  const char *var = "CARDINAL_TEST_KERNEL_CHOICE";
  unsetenv(var);
  EXPECT_TRUE(choicePolicyFromEnv(var, kNames).isAuto());
  setenv(var, "auto", 1);
  EXPECT_TRUE(choicePolicyFromEnv(var, kNames).isAuto());
  setenv(var, "generated", 1);
  EXPECT_EQ(choicePolicyFromEnv(var, kNames).forced, 0);
  setenv(var, "cudnn", 1);
  EXPECT_EQ(choicePolicyFromEnv(var, kNames).forced, 1);
  setenv(var, "cuDNN!", 1);
  try {
    choicePolicyFromEnv(var, kNames);
    FAIL() << "a bad value was accepted";
  } catch (const std::invalid_argument &e) {
    EXPECT_EQ(std::string(e.what()),
              "CARDINAL_TEST_KERNEL_CHOICE='cuDNN!' is not a kernel choice; "
              "expected one of generated, cudnn, auto (the default: time "
              "them)");
  }
  unsetenv(var);
}

} // namespace
} // namespace cardinal::rt
