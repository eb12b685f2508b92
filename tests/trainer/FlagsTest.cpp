//===- FlagsTest.cpp - command line, commands and usage errors -------------===//

#include "LogisticModel.h"
#include "TestUtil.h"

#include "runtime/trainer/Flags.h"

#include <gtest/gtest.h>

using namespace cardinal::rt;
using namespace cardinal::rt::trainertest;

namespace {

bool parse(std::vector<std::string> args, TrainerOptions &o,
           std::string &error) {
  args.insert(args.begin(), "trainer");
  std::vector<char *> argv;
  for (std::string &s : args)
    argv.push_back(s.data());
  return parseFlags(static_cast<int>(args.size()), argv.data(), o, error);
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

} // namespace

TEST(FlagsTest, DefaultsAndBothValueForms) {
  TrainerOptions o;
  std::string error;
  ASSERT_TRUE(parse({}, o, error)) << error;
  EXPECT_EQ(o.command, "train");
  EXPECT_EQ(o.data.kind, DataSpec::Kind::Digits);
  EXPECT_FALSE(o.epochs);
  EXPECT_FALSE(o.schedule);
  EXPECT_EQ(o.checkpointDir, ".");
  EXPECT_EQ(o.evalEvery, 1);

  ASSERT_TRUE(parse({"eval", "--epochs", "7", "--lr=0.05", "--momentum", "0",
                     "--wd", "5e-4", "--schedule", "step:2,4", "--warmup=1",
                     "--threads", "1", "--seed", "9", "--checkpoint-dir",
                     "/tmp/x", "--resume", "--eval-every", "3", "--metrics",
                     "m.csv", "--quiet", "--batch", "32", "--data",
                     "synthetic:100"},
                    o, error))
      << error;
  EXPECT_EQ(o.command, "eval");
  EXPECT_EQ(*o.epochs, 7);
  EXPECT_DOUBLE_EQ(*o.lr, 0.05);
  EXPECT_DOUBLE_EQ(*o.momentum, 0.0);
  EXPECT_DOUBLE_EQ(*o.weightDecay, 5e-4);
  EXPECT_EQ(o.schedule->spec(), "step:2,4");
  EXPECT_EQ(o.schedule->warmup, 1);
  EXPECT_EQ(o.threads, 1);
  EXPECT_EQ(*o.seed, 9u);
  EXPECT_EQ(o.checkpointDir, "/tmp/x");
  EXPECT_TRUE(o.resume);
  EXPECT_EQ(o.evalEvery, 3);
  EXPECT_EQ(o.metricsFile, "m.csv");
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(*o.batch, 32);
  EXPECT_EQ(o.data.kind, DataSpec::Kind::Synthetic);
  EXPECT_EQ(o.data.samples, 100);

  ASSERT_TRUE(parse({"--data", "cifar:/data/c10"}, o, error));
  EXPECT_EQ(o.data.kind, DataSpec::Kind::Cifar);
  EXPECT_EQ(o.data.path, "/data/c10");
}

TEST(FlagsTest, ErrorsSayWhatIsWrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--frobnicate"}, "unknown flag '--frobnicate'"},
      {{"--epochs"}, "--epochs needs a value"},
      {{"--epochs", "0"}, "--epochs 0: expected an integer >= 1"},
      {{"--epochs", "3x"}, "expected an integer"},
      {{"--lr", "-1"}, "--lr -1: expected a number >= 0"},
      {{"--schedule", "linear"}, "unknown schedule 'linear'"},
      {{"--data", "imagenet"}, "--data imagenet:DIR"},
      {{"--data", "imagenette"}, "unknown --data 'imagenette'"},
      {{"--data", "cifar"}, "--data cifar:DIR"},
      {{"--quiet=1"}, "--quiet takes no value"},
      {{"fit"}, "unexpected argument 'fit'"},
      {{"train", "eval"}, "unexpected argument 'eval'"},
      {{"train", "--steps", "5"}, "--steps is for bench (train does not"},
      {{"--profile"}, "--profile is for bench (train does not"},
      {{"eval", "--profile"}, "--profile is for bench (eval does not"},
  };
  for (const auto &[args, message] : cases) {
    TrainerOptions o;
    std::string error;
    EXPECT_FALSE(parse(args, o, error)) << args[0];
    EXPECT_TRUE(contains(error, message)) << error << " vs " << message;
  }
}

TEST(CommandsTest, UnknownFlagPrintsUsageAndExits2) {
  LogisticModel model;
  std::string out, err;
  EXPECT_EQ(runCaptured(model, {"--bogus"}, out, err), 2);
  EXPECT_TRUE(contains(err, "unknown flag '--bogus'")) << err;
  EXPECT_TRUE(contains(err, "usage: trainer")) << err;
  EXPECT_EQ(runCaptured(model, {"--help"}, out, err), 0);
  EXPECT_TRUE(contains(out, "--schedule")) << out;
}

TEST(CommandsTest, CheckpointFileIsForEvalOnly) {
  LogisticModel model;
  std::string out, err;
  EXPECT_EQ(runCaptured(model, {"--resume", "--checkpoint", "x.safetensors"},
                        out, err),
            2);
  EXPECT_TRUE(contains(err, "--checkpoint is for eval")) << err;
}

TEST(CommandsTest, BatchMismatchSaysHowToRebuild) {
  LogisticModel model(32);
  std::string out, err;
  EXPECT_EQ(runCaptured(model, {"--batch", "64", "--quiet"}, out, err), 2);
  EXPECT_TRUE(contains(err, "--batch 64 does not match batch 32")) << err;
  EXPECT_TRUE(contains(err, "cardinal build logistic --batch 64")) << err;
  // The right batch is accepted (info does no work).
  EXPECT_EQ(runCaptured(model, {"info", "--batch", "32"}, out, err), 0);
}

TEST(CommandsTest, DataShapeMismatchNamesBothShapes) {
  LogisticModel cifarShaped(32, 3, 32, 32, 10, "cifar_logistic");
  const std::string dir = makeTempDir();
  std::string out, err;
  EXPECT_EQ(runCaptured(cifarShaped,
                        {"--data", "digits", "--checkpoint-dir", dir, "--quiet"},
                        out, err),
            1);
  EXPECT_TRUE(contains(err, "1x8x8")) << err;
  EXPECT_TRUE(contains(err, "3x32x32")) << err;
  EXPECT_TRUE(contains(err, "cifar_logistic")) << err;

  LogisticModel hundred(32, 1, 8, 8, 100);
  EXPECT_EQ(runCaptured(hundred, {"--checkpoint-dir", dir, "--quiet"}, out,
                        err),
            1);
  EXPECT_TRUE(contains(err, "10 classes")) << err;
  EXPECT_TRUE(contains(err, "100")) << err;
}

TEST(CommandsTest, TrainSetSmallerThanOneBatch) {
  LogisticModel model(4096);
  const std::string dir = makeTempDir();
  std::string out, err;
  EXPECT_EQ(runCaptured(model, {"--checkpoint-dir", dir, "--quiet"}, out, err),
            1);
  EXPECT_TRUE(contains(err, "fewer than one batch of 4096")) << err;
  EXPECT_EQ(readText(dir + "/metrics.csv"), ""); // nothing written
}

TEST(CommandsTest, BadDataFileIsNamed) {
  LogisticModel model;
  const std::string dir = makeTempDir();
  std::string out, err;
  EXPECT_EQ(runCaptured(model,
                        {"--data", "digits:" + dir + "/nope.csv.gz",
                         "--checkpoint-dir", dir, "--quiet"},
                        out, err),
            1);
  EXPECT_TRUE(contains(err, dir + "/nope.csv.gz")) << err;
}

TEST(CommandsTest, InfoAndExport) {
  LogisticModel model;
  std::string out, err;
  EXPECT_EQ(runCaptured(model, {"info"}, out, err), 0);
  EXPECT_TRUE(contains(out, "model: logistic")) << out;
  EXPECT_TRUE(contains(out, "input: 1x8x8 (CxHxW), 10 classes")) << out;
  EXPECT_TRUE(contains(out, "batch: 32")) << out;
  EXPECT_TRUE(contains(out, "parameters: 650 (2 tensors)")) << out;
  EXPECT_TRUE(contains(out, "arena bytes: 2560")) << out;
  EXPECT_EQ(runCaptured(model, {"export"}, out, err), 2);
  EXPECT_TRUE(contains(err, "export needs -o FILE")) << err;
  EXPECT_EQ(runCaptured(model, {"export", "--form", "d", "-o", "x"}, out, err), 2);
  EXPECT_TRUE(contains(err, "expected a, b or c")) << err;
}

TEST(FlagsTest, PredictTakesImagesAfterTheCommand) {
  TrainerOptions o;
  std::string error;
  ASSERT_TRUE(parse({"predict", "--top", "3", "a.jpg", "--checkpoint",
                     "m.safetensors", "b.jpg"},
                    o, error))
      << error;
  EXPECT_EQ(o.command, "predict");
  EXPECT_EQ(o.inputs, (std::vector<std::string>{"a.jpg", "b.jpg"}));
  EXPECT_EQ(o.top, 3);
  EXPECT_EQ(o.checkpointFile, "m.safetensors");

  EXPECT_FALSE(parse({"predict"}, o, error));
  EXPECT_NE(error.find("predict needs image files"), std::string::npos)
      << error;
  EXPECT_FALSE(parse({"eval", "--top", "2"}, o, error));
  EXPECT_NE(error.find("--top is for predict"), std::string::npos) << error;
  EXPECT_FALSE(parse({"train", "a.jpg"}, o, error));
  EXPECT_NE(error.find("unexpected argument 'a.jpg'"), std::string::npos)
      << error;
}
