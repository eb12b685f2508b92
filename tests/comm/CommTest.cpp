//===- CommTest.cpp - Communicator units (no MPI launcher needed) ----------===//

#include "runtime/comm/Communicator.h"
#include "runtime/comm/GradientAllReduce.h"
#include "runtime/comm/GradientBuckets.h"
#include "runtime/kernels/BatchNorm.h"
#include "runtime/trainer/Flags.h"
#include "runtime/trainer/Parallel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cardinal::rt;

namespace {

/// Size 2: pretends the other rank holds `peerFactor` × this rank's floats,
/// and records every all-reduce's length.
class FakePairCommunicator final : public Communicator {
public:
  explicit FakePairCommunicator(float peerFactor) : factor_(peerFactor) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string name() const override { return "fake"; }
  void allReduceSum(float *data, int64_t n) override {
    calls.push_back(n);
    for (int64_t i = 0; i < n; ++i)
      data[i] += factor_ * data[i];
  }
  void allReduceSum(double *data, int64_t n) override {
    for (int64_t i = 0; i < n; ++i)
      data[i] += data[i];
  }
  void allReduceSum(int64_t *data, int64_t n) override {
    for (int64_t i = 0; i < n; ++i)
      data[i] += data[i];
  }
  void broadcast(void *, int64_t, int) override {}
  void barrier() override {}
  void abort(const std::string &message, int) override {
    throw std::runtime_error(message);
  }
  std::vector<int64_t> calls;

private:
  float factor_;
};

TEST(LocalCommunicatorTest, IsOneRankAndCollectivesAreNoOps) {
  LocalCommunicator c;
  EXPECT_EQ(c.rank(), 0);
  EXPECT_EQ(c.size(), 1);
  EXPECT_EQ(c.localRank(), 0);
  EXPECT_EQ(c.localSize(), 1);
  EXPECT_EQ(c.name(), "local");
  EXPECT_EQ(c.where(), "rank 0/1");
  std::vector<float> f = {1.5f, -2.0f};
  std::vector<double> d = {3.25};
  std::vector<int64_t> i = {int64_t(1) << 40};
  c.allReduceSum(f.data(), 2);
  c.allReduceSum(d.data(), 1);
  c.allReduceSum(i.data(), 1);
  c.allReduceSum(static_cast<float *>(nullptr), 0);
  EXPECT_EQ(f, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(d[0], 3.25);
  EXPECT_EQ(i[0], int64_t(1) << 40);
  char bytes[4] = "abc";
  c.broadcast(bytes, 4, 0);
  EXPECT_STREQ(bytes, "abc");
  c.barrier();
  try {
    c.broadcast(bytes, 4, 1);
    FAIL() << "broadcast from rank 1 of 1 did not throw";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("rank 1"), std::string::npos) << e.what();
  }
}

TEST(LocalCommunicatorTest, AbortPrintsAndExitsWithTheCode) {
  EXPECT_EXIT(LocalCommunicator().abort("trainer: rank 0/1: error: boom", 3),
              ::testing::ExitedWithCode(3), "trainer: rank 0/1: error: boom");
}

TEST(RanksModeTest, Parses) {
  RanksMode m = RanksMode::Local;
  EXPECT_TRUE(parseRanksMode("auto", m));
  EXPECT_EQ(m, RanksMode::Auto);
  EXPECT_TRUE(parseRanksMode("mpi", m));
  EXPECT_EQ(m, RanksMode::Mpi);
  EXPECT_TRUE(parseRanksMode("local", m));
  EXPECT_EQ(m, RanksMode::Local);
  EXPECT_FALSE(parseRanksMode("nccl", m));
  EXPECT_FALSE(parseRanksMode("", m));
}

/// Clears the launcher variables for the test, restoring them after.
class LauncherEnv {
public:
  LauncherEnv() {
    for (const char *v : kVars) {
      const char *old = std::getenv(v);
      saved_.push_back(old ? std::optional<std::string>(old) : std::nullopt);
      ::unsetenv(v);
    }
  }
  ~LauncherEnv() {
    for (size_t i = 0; i < std::size(kVars); ++i) {
      if (saved_[i])
        ::setenv(kVars[i], saved_[i]->c_str(), 1);
      else
        ::unsetenv(kVars[i]);
    }
  }
  static constexpr const char *kVars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                          "PMI_RANK", "PMIX_RANK"};

private:
  std::vector<std::optional<std::string>> saved_;
};

TEST(RanksModeTest, DetectsMpiLaunchers) {
  LauncherEnv env;
  EXPECT_FALSE(launchedByMpi());
  for (const char *v : LauncherEnv::kVars) {
    ::setenv(v, "2", 1);
    EXPECT_TRUE(launchedByMpi()) << v;
    ::unsetenv(v);
  }
  // Not launched and not asked for MPI: one local rank.
  auto auto_ = createCommunicator(RanksMode::Auto, 60);
  EXPECT_EQ(auto_->name(), "local");
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  auto local = createCommunicator(RanksMode::Local, 60);
  EXPECT_EQ(local->name(), "local");
}

TEST(GradientAllReducerTest, BucketsSmallGradientsAndReducesBigOnesInPlace) {
  FakePairCommunicator comm(3.0f); // peer holds 3x: the mean is 2x
  // 16-float buckets.
  GradientAllReducer reducer(comm, 16 * sizeof(float));
  const std::vector<int64_t> sizes = {5, 5, 5, 40, 3, 0, 16};
  std::vector<std::vector<float>> grads;
  std::vector<GradientSpan> spans;
  for (size_t t = 0; t < sizes.size(); ++t) {
    grads.emplace_back(sizes[t]);
    for (int64_t i = 0; i < sizes[t]; ++i)
      grads[t][i] = static_cast<float>(t + 1) * 0.25f + static_cast<float>(i);
  }
  for (auto &g : grads)
    spans.push_back({g.data(), static_cast<int64_t>(g.size())});
  reducer.averageInPlace(spans);
  for (size_t t = 0; t < sizes.size(); ++t)
    for (int64_t i = 0; i < sizes[t]; ++i)
      ASSERT_EQ(grads[t][i],
                2.0f * (static_cast<float>(t + 1) * 0.25f + static_cast<float>(i)))
          << "tensor " << t << " element " << i;
  // The 40 goes first (in place) while 5+5+5 wait in the bucket; 3 does not
  // fit after them; the 16 fills a bucket on its own: in place.
  EXPECT_EQ(comm.calls, (std::vector<int64_t>{40, 15, 16, 3}));
  EXPECT_EQ(reducer.lastCalls(), 4);
}

TEST(GradientAllReducerTest, OneRankIsANoOp) {
  LocalCommunicator comm;
  GradientAllReducer reducer(comm);
  std::vector<float> g = {1, 2, 3};
  reducer.averageInPlace({{g.data(), 3}});
  EXPECT_EQ(g, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(reducer.lastCalls(), 0);
}

TEST(GradientAllReducerTest, DefaultBucketIsFourMiB) {
  FakePairCommunicator comm(1.0f);
  GradientAllReducer reducer(comm);
  std::vector<float> a(600000, 1.0f), b(600000, 1.0f); // 2.4 MB each
  reducer.averageInPlace({{a.data(), 600000}, {b.data(), 600000}});
  EXPECT_EQ(comm.calls, (std::vector<int64_t>{600000, 600000}));
  EXPECT_EQ(a[0], 1.0f);
}

TEST(PackerTest, RoundTripsAndRejectsShortRecords) {
  Packer p;
  p.put(int64_t(-7)).put(std::string("step:30,60")).put(2.5).put(uint64_t(9));
  Unpacker u(p.bytes);
  int64_t a = 0;
  std::string s;
  double d = 0;
  uint64_t b = 0;
  u.get(a).get(s).get(d).get(b);
  EXPECT_EQ(a, -7);
  EXPECT_EQ(s, "step:30,60");
  EXPECT_EQ(d, 2.5);
  EXPECT_EQ(b, 9u);
  const std::string shortRecord = p.bytes.substr(0, 12);
  Unpacker v(shortRecord);
  EXPECT_THROW(v.get(a).get(s), std::runtime_error);
}

TEST(TrainerFlagsTest, DataParallelFlags) {
  std::vector<std::string> args = {"trainer", "train", "--ranks", "mpi",
                                   "--comm-timeout=2.5", "--sync-bn"};
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(a.data());
  TrainerOptions o;
  std::string error;
  ASSERT_TRUE(parseFlags(static_cast<int>(argv.size()), argv.data(), o, error))
      << error;
  EXPECT_EQ(o.ranks, "mpi");
  EXPECT_EQ(o.commTimeout, 2.5);
  EXPECT_TRUE(o.syncBn);

  TrainerOptions d;
  char prog[] = "trainer";
  char *none[] = {prog};
  ASSERT_TRUE(parseFlags(1, none, d, error));
  EXPECT_EQ(d.ranks, "auto");
  EXPECT_EQ(d.commTimeout, 60);
  EXPECT_FALSE(d.syncBn);

  for (const std::vector<std::string> &bad :
       {std::vector<std::string>{"trainer", "--ranks", "nccl"},
        std::vector<std::string>{"trainer", "--comm-timeout", "0"},
        std::vector<std::string>{"trainer", "--sync-bn=1"}}) {
    std::vector<std::string> copy = bad;
    std::vector<char *> av;
    for (auto &a : copy)
      av.push_back(a.data());
    TrainerOptions x;
    EXPECT_FALSE(parseFlags(static_cast<int>(av.size()), av.data(), x, error))
        << bad[1];
    EXPECT_NE(error.find(bad[1].substr(0, bad[1].find('='))), std::string::npos)
        << error;
  }
}

// Sync BN with a reducer that doubles every sum (two identical replicas):
// the statistics of the union are the local ones, so normalization and dx
// must match the local kernel bit for bit; dscale/dshift stay local; the
// running variance uses the union's unbiased estimate.
void reduceTwice(double *data, int64_t n, void *calls) {
  ++*static_cast<int *>(calls);
  for (int64_t i = 0; i < n; ++i)
    data[i] *= 2;
}

TEST(SyncBatchNormTest, TwoIdenticalReplicasMatchTheLocalKernel) {
  const ActShape s{3, 4, 5, 5};
  const int64_t size = s.size();
  std::mt19937 gen(7);
  std::normal_distribution<float> dist(0.5f, 2.0f);
  std::vector<float> x(size), dy(size), scale(s.c), shift(s.c);
  for (auto &v : x)
    v = dist(gen);
  for (auto &v : dy)
    v = dist(gen);
  for (int64_t c = 0; c < s.c; ++c) {
    scale[c] = 1.0f + 0.1f * c;
    shift[c] = -0.2f * c;
  }
  struct Out {
    std::vector<float> y, mean, invStd, rm, rv, dx, dscale, dshift;
  };
  auto run = [&](bool synced, int *calls) {
    Out o{std::vector<float>(size), std::vector<float>(s.c),
          std::vector<float>(s.c), std::vector<float>(s.c, 0.1f),
          std::vector<float>(s.c, 1.0f), std::vector<float>(size),
          std::vector<float>(s.c), std::vector<float>(s.c)};
    setBatchNormReduce(synced ? reduceTwice : nullptr, calls);
    batchNormForwardTrain<float>(s, x.data(), scale.data(), shift.data(), 1e-5f,
                                 0.1f, o.y.data(), o.mean.data(),
                                 o.invStd.data(), o.rm.data(), o.rv.data());
    batchNormBackward<float>(s, x.data(), dy.data(), scale.data(),
                             o.mean.data(), o.invStd.data(), o.dx.data(),
                             o.dscale.data(), o.dshift.data());
    setBatchNormReduce(nullptr, nullptr);
    return o;
  };
  int calls = 0;
  const Out local = run(false, nullptr);
  const Out sync = run(true, &calls);
  EXPECT_EQ(calls, 3); // sums, squared deviations, backward sums
  EXPECT_EQ(sync.y, local.y);
  EXPECT_EQ(sync.mean, local.mean);
  EXPECT_EQ(sync.invStd, local.invStd);
  EXPECT_EQ(sync.rm, local.rm);
  EXPECT_EQ(sync.dx, local.dx);
  EXPECT_EQ(sync.dscale, local.dscale);
  EXPECT_EQ(sync.dshift, local.dshift);
  const double count = static_cast<double>(s.n * s.hw());
  for (int64_t c = 0; c < s.c; ++c) {
    // local: var·n/(n-1); union of two copies: var·2n/(2n-1)
    const double var = 1.0 / (double(local.invStd[c]) * local.invStd[c]) - 1e-5;
    const double expectLocal = 0.9 + 0.1 * var * count / (count - 1);
    const double expectSync = 0.9 + 0.1 * var * 2 * count / (2 * count - 1);
    EXPECT_NEAR(local.rv[c], expectLocal, 1e-5);
    EXPECT_NEAR(sync.rv[c], expectSync, 1e-5);
  }
  // Uninstalled: the local kernel again.
  const Out again = run(false, nullptr);
  EXPECT_EQ(again.rv, local.rv);
}

/// The sizes of a bucket's spans.
std::vector<int64_t> sizes(const std::vector<GradientSpan> &bucket) {
  std::vector<int64_t> out;
  for (const GradientSpan &g : bucket)
    out.push_back(g.size);
  return out;
}

TEST(GradientBucketsTest, FillsBucketsInReportOrderAndFinishesTheRest) {
  std::vector<float> memory(200);
  // Gradients of 5, 5, 5, 40, 3, 16, 7 floats; buckets of 16.
  std::vector<GradientSpan> grads;
  int64_t at = 0;
  for (int64_t n : {5, 5, 5, 40, 3, 16, 7}) {
    grads.push_back({memory.data() + at, n});
    at += n;
  }
  GradientBuckets buckets(grads, 16);
  for (int step = 0; step < 2; ++step) { // the same every step
    // Backward reports in reverse order and never reports gradient 1.
    EXPECT_TRUE(buckets.ready(6).empty());                           // [7]
    EXPECT_EQ(sizes(buckets.ready(5)), (std::vector<int64_t>{16}));  // alone
    EXPECT_TRUE(buckets.ready(4).empty());                           // [7 3]
    EXPECT_EQ(sizes(buckets.ready(3)), (std::vector<int64_t>{40}));  // alone
    EXPECT_TRUE(buckets.ready(2).empty());                           // [7 3 5]
    EXPECT_EQ(sizes(buckets.ready(0)), (std::vector<int64_t>{7, 3, 5}));
    const std::vector<GradientSpan> rest = buckets.finish(); // [5], then 1
    EXPECT_EQ(sizes(rest), (std::vector<int64_t>{5, 5}));
    EXPECT_EQ(rest.back().data, grads[1].data); // the unreported one
  }
  EXPECT_THROW(buckets.ready(7), std::logic_error);
  buckets.ready(0);
  EXPECT_THROW(buckets.ready(0), std::logic_error);
  EXPECT_THROW(GradientBuckets(grads, 0), std::invalid_argument);
}

/// A model that keeps its tensors on a "device" and, like a generated CUDA
/// model, takes over the parts of data parallelism it is asked to.
class DeviceModel final : public CompiledModel {
public:
  explicit DeviceModel(DeviceParallelism offer) : offer_(offer) {}
  std::string name() const override { return "device"; }
  int64_t batch() const override { return 1; }
  int64_t channels() const override { return 1; }
  int64_t height() const override { return 1; }
  int64_t width() const override { return 1; }
  int64_t classes() const override { return 2; }
  int64_t arenaBytes() const override { return 0; }
  std::vector<NamedTensor> &tensors() override { return tensors_; }
  StepHyper defaultHyper() const override { return {}; }
  StepStats trainStep(const float *, const int32_t *,
                      const StepHyper &) override {
    time_.gradientSeconds += 0.5;
    time_.bnSeconds += 0.25;
    ++time_.steps;
    return {};
  }
  void predict(const float *, float *) override {}

  DeviceParallelism attachDataParallel(Communicator &comm,
                                       bool syncBn) override {
    attachedRanks = comm.size();
    askedSyncBn = syncBn;
    DeviceParallelism took = offer_;
    took.syncBn = took.syncBn && syncBn;
    return took;
  }
  void detachDataParallel() override { ++detached; }
  DeviceCommTime deviceCommTime() const override { return time_; }
  bool hooked() const { return gradientHook_ || gradientReadyHook_; }

  int attachedRanks = 0, detached = 0;
  bool askedSyncBn = false;

private:
  DeviceParallelism offer_;
  DeviceCommTime time_;
  std::vector<NamedTensor> tensors_;
};

TEST(DataParallelTest, DeviceModelAveragesItsOwnGradientsAndSyncsBn) {
  FakePairCommunicator comm(1.0f);
  DeviceModel model({true, true});
  model.trainStep(nullptr, nullptr, {}); // before the run: not counted
  {
    DataParallel dp(comm, model, /*syncBn=*/true);
    EXPECT_EQ(model.attachedRanks, 2);
    EXPECT_TRUE(model.askedSyncBn);
    EXPECT_FALSE(model.hooked());                // no host copies
    EXPECT_FALSE(batchNormReduceInstalled());    // BN synced on the device
    dp.resetTimers();
    model.trainStep(nullptr, nullptr, {});
    model.trainStep(nullptr, nullptr, {});
    EXPECT_EQ(dp.hookCalls(), 2); // the model's averaging steps count
    EXPECT_DOUBLE_EQ(dp.gradientSeconds(), 1.0);
    EXPECT_DOUBLE_EQ(dp.bnSeconds(), 0.5);
    EXPECT_EQ(model.detached, 0);
  }
  EXPECT_EQ(model.detached, 1);
}

TEST(DataParallelTest, WhatTheDeviceDoesNotTakeStaysOnTheHost) {
  FakePairCommunicator comm(1.0f);
  DeviceModel bnOnly({false, true}); // e.g. CARDINAL_NCCL=0: host gradients
  {
    DataParallel dp(comm, bnOnly, /*syncBn=*/true);
    EXPECT_TRUE(bnOnly.hooked());
    EXPECT_FALSE(batchNormReduceInstalled());
  }
  DeviceModel gradientsOnly({true, false}); // a model without device BN sync
  {
    DataParallel dp(comm, gradientsOnly, /*syncBn=*/true);
    EXPECT_FALSE(gradientsOnly.hooked());
    EXPECT_TRUE(batchNormReduceInstalled()); // the CPU kernels' reducer
  }
  EXPECT_FALSE(batchNormReduceInstalled());
  LocalCommunicator one;
  DeviceModel single({true, true});
  {
    DataParallel dp(one, single, true);
    EXPECT_EQ(single.attachedRanks, 0); // one rank: nothing to take over
  }
  EXPECT_EQ(single.detached, 0);
}

} // namespace
