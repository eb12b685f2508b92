//===- TrainingTest.cpp - end to end: accuracy, determinism, resume --------===//

#include "LogisticModel.h"
#include "TestUtil.h"

#include "runtime/checkpoint/SafeTensors.h"
#include "runtime/data/Digits.h"
#include "runtime/trainer/Evaluate.h"

#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

using namespace cardinal::rt;
using namespace cardinal::rt::trainertest;

namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> v;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);)
    v.push_back(l);
  return v;
}

} // namespace

TEST(TrainingTest, DigitsSoftmaxRegressionReaches90Percent) {
  LogisticModel model(32);
  const std::string dir = makeTempDir();
  std::string out, err;
  ASSERT_EQ(runCaptured(model,
                        {"train", "--epochs", "15", "--batch", "32",
                         "--threads", "1", "--checkpoint-dir", dir, "--quiet"},
                        out, err),
            0)
      << err;
  double acc = 0;
  ASSERT_EQ(std::sscanf(out.c_str() + out.find("test accuracy: "),
                        "test accuracy: %lf%%", &acc),
            1)
      << out;
  EXPECT_GE(acc, 90.0) << out;
  EXPECT_TRUE(contains(out, "test top-5 accuracy: ")) << out;
  // The weights left in the model are the ones reported.
  const EvalResult r =
      evaluate(model, loadDigits(defaultDigitsPath(), 0).test);
  EXPECT_NEAR(100.0 - r.top1Err, acc, 0.006);

  const std::vector<std::string> rows = lines(readText(dir + "/metrics.csv"));
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows[0],
            "epoch,train_loss,train_top1_err,test_top1_err,test_top5_err,lr,"
            "seconds");
  EXPECT_EQ(rows[1].rfind("1,", 0), 0u);
  EXPECT_EQ(rows[15].rfind("15,", 0), 0u);
  // paper: lr 0.1 until epoch 8, 0.01 from epoch 9 (0-based 8), 0.001 at 13.
  EXPECT_TRUE(contains(rows[8], ",0.100000001,")) << rows[8];
  EXPECT_TRUE(contains(rows[9], ",0.00999999978,")) << rows[9];
  EXPECT_TRUE(contains(rows[13], ",0.00100000005,")) << rows[13];

  // The checkpoint holds exactly the model's tensors plus the run state.
  const SafeTensorsFile ckpt = readSafeTensors(dir + "/last.safetensors");
  ASSERT_EQ(ckpt.tensors.size(), model.tensors().size());
  for (const NamedTensor &t : model.tensors()) {
    const TensorRecord &rec = ckpt.at(t.name);
    EXPECT_EQ(rec.dtype, "F32");
    EXPECT_EQ(rec.shape, t.shape);
    EXPECT_EQ(std::memcmp(rec.bytes.data(), t.data, rec.bytes.size()), 0);
  }
  EXPECT_EQ(ckpt.metadata.at("format_version"), "1");
  EXPECT_EQ(ckpt.metadata.at("model"), "logistic");
  EXPECT_EQ(ckpt.metadata.at("epoch"), "15");
  EXPECT_EQ(ckpt.metadata.at("seed"), "0");
  EXPECT_EQ(ckpt.metadata.at("schedule"), "paper");
  EXPECT_EQ(ckpt.metadata.at("rng_state").size(), 4 * 16 + 3u);

  // `eval` reads it back and agrees.
  LogisticModel fresh(32);
  ASSERT_EQ(runCaptured(fresh, {"eval", "--checkpoint-dir", dir}, out, err), 0)
      << err;
  char expected[64];
  std::snprintf(expected, sizeof expected, "test top-1 error: %.2f%%",
                100.0 - acc);
  EXPECT_TRUE(contains(out, expected)) << out;
  EXPECT_TRUE(contains(out, "test loss: ")) << out;
  EXPECT_EQ(snapshot(fresh), snapshot(model));
  LogisticModel named(32); // --checkpoint FILE instead of the directory's
  ASSERT_EQ(runCaptured(named,
                        {"eval", "--checkpoint", dir + "/last.safetensors",
                         "--checkpoint-dir", "/nonexistent"},
                        out, err),
            0)
      << err;
  EXPECT_TRUE(contains(out, expected)) << out;
}

TEST(TrainingTest, SameSeedOneThreadSameMetrics) {
  std::string csv[2];
  std::vector<float> weights[2];
  for (int i = 0; i < 2; ++i) {
    LogisticModel model(32);
    const std::string dir = makeTempDir();
    std::string out, err;
    ASSERT_EQ(runCaptured(model,
                          {"--epochs", "3", "--seed", "7", "--threads", "1",
                           "--checkpoint-dir", dir, "--quiet"},
                          out, err),
              0)
        << err;
    csv[i] = readText(dir + "/metrics.csv");
    weights[i] = snapshot(model);
  }
  EXPECT_EQ(withoutSeconds(csv[0]), withoutSeconds(csv[1]));
  EXPECT_EQ(lines(csv[0]).size(), 4u);
  EXPECT_EQ(weights[0], weights[1]);

  // Another seed: another initialization and shuffle.
  LogisticModel other(32);
  const std::string dir = makeTempDir();
  std::string out, err;
  ASSERT_EQ(runCaptured(other,
                        {"--epochs", "3", "--seed", "8", "--threads", "1",
                         "--checkpoint-dir", dir, "--quiet"},
                        out, err),
            0);
  EXPECT_NE(withoutSeconds(readText(dir + "/metrics.csv")),
            withoutSeconds(csv[0]));
}

TEST(TrainingTest, ResumeIsBitIdenticalToAnUninterruptedRun) {
  // step:1,3 changes the lr in both halves and does not depend on the total
  // epoch count (paper and cosine do: a 2-epoch run has its own schedule).
  const std::vector<std::string> common = {
      "--seed", "3", "--threads", "1", "--schedule", "step:1,3",
      "--warmup", "1", "--eval-every", "2", "--quiet"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  std::string out, err;

  LogisticModel straight(32);
  const std::string dirA = makeTempDir();
  ASSERT_EQ(runCaptured(straight,
                        with({"--epochs", "4", "--checkpoint-dir", dirA}), out,
                        err),
            0)
      << err;

  const std::string dirB = makeTempDir();
  {
    LogisticModel first(32);
    ASSERT_EQ(runCaptured(first,
                          with({"--epochs", "2", "--checkpoint-dir", dirB}),
                          out, err),
              0)
        << err;
  }
  LogisticModel resumed(32);
  // A different init in the fresh process must not matter.
  for (NamedTensor &t : resumed.tensors())
    std::fill(t.data, t.data + t.size(), 123.0f);
  ASSERT_EQ(runCaptured(resumed,
                        with({"--epochs", "4", "--resume", "--checkpoint-dir",
                              dirB}),
                        out, err),
            0)
      << err;

  const std::vector<float> a = snapshot(straight), b = snapshot(resumed);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  const std::string csvA = readText(dirA + "/metrics.csv");
  EXPECT_EQ(lines(csvA).size(), 5u);
  EXPECT_EQ(withoutSeconds(csvA),
            withoutSeconds(readText(dirB + "/metrics.csv")));
  EXPECT_EQ(readSafeTensors(dirA + "/last.safetensors").metadata,
            readSafeTensors(dirB + "/last.safetensors").metadata);

  // Resuming a finished run trains nothing more and reports the result.
  LogisticModel again(32);
  ASSERT_EQ(runCaptured(again, with({"--resume", "--checkpoint-dir", dirB}),
                        out, err),
            0)
      << err;
  EXPECT_TRUE(contains(out, "test accuracy: ")) << out;
  EXPECT_EQ(snapshot(again), b);
  EXPECT_EQ(lines(readText(dirB + "/metrics.csv")).size(), 5u);
}

TEST(TrainingTest, SyntheticDataTakesTheModelsShape) {
  LogisticModel model(16, 3, 4, 4, 5, "tiny");
  const std::string dir = makeTempDir();
  std::string out, err;
  ASSERT_EQ(runCaptured(model,
                        {"--data", "synthetic:256", "--epochs", "3",
                         "--schedule", "cosine", "--lr", "0.05", "--threads",
                         "1", "--checkpoint-dir", dir, "--metrics",
                         dir + "/custom.csv", "--quiet"},
                        out, err),
            0)
      << err;
  EXPECT_EQ(lines(readText(dir + "/custom.csv")).size(), 4u);
  EXPECT_TRUE(contains(out, "test accuracy: ")) << out;
}

TEST(TrainingTest, DivergenceIsAnErrorNotACheckpoint) {
  LogisticModel model(32);
  const std::string dir = makeTempDir();
  std::string out, err;
  EXPECT_EQ(runCaptured(model,
                        {"--epochs", "2", "--lr", "1e30", "--threads", "1",
                         "--checkpoint-dir", dir, "--quiet"},
                        out, err),
            1);
  EXPECT_TRUE(contains(err, "training diverged")) << err;
  EXPECT_EQ(readText(dir + "/last.safetensors"), "");
}

TEST(TrainingTest, PlainOutputIsOneLinePerEpoch) {
  LogisticModel model(32);
  const std::string dir = makeTempDir();
  std::string out, err;
  ASSERT_EQ(runCaptured(model,
                        {"--epochs", "2", "--threads", "1", "--checkpoint-dir",
                         dir},
                        out, err),
            0)
      << err;
  const std::vector<std::string> l = lines(out);
  ASSERT_EQ(l.size(), 4u) << out;
  EXPECT_EQ(l[0].rfind("epoch 1/2  loss ", 0), 0u) << out;
  EXPECT_TRUE(contains(l[0], "test err ")) << out;
  EXPECT_EQ(l[1].rfind("epoch 2/2  loss ", 0), 0u) << out;
  EXPECT_EQ(l[2].rfind("test accuracy: ", 0), 0u) << out;
  EXPECT_FALSE(contains(out, "\r")) << out;
}
