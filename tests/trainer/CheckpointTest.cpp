//===- CheckpointTest.cpp - damaged checkpoints are refused, by name -------===//

#include "LogisticModel.h"
#include "TestUtil.h"

#include "runtime/Random.h"
#include "runtime/checkpoint/SafeTensors.h"
#include "runtime/trainer/Checkpointing.h"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

using namespace cardinal::rt;
using namespace cardinal::rt::trainertest;

namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = makeTempDir();
    path = dir + "/last.safetensors";
    LogisticModel model;
    std::string out, err;
    ASSERT_EQ(runCaptured(model,
                          {"--epochs", "1", "--threads", "1",
                           "--checkpoint-dir", dir, "--quiet"},
                          out, err),
              0)
        << err;
    good = readSafeTensors(path);
  }

  /// Rewrites the checkpoint with `edit` applied to its tensors / metadata.
  template <typename Edit> void rewrite(Edit edit) {
    SafeTensorsFile f = good;
    edit(f);
    writeSafeTensors(path, f.tensors, f.metadata);
  }

  /// --resume and eval both fail with exit 1 and a message containing all
  /// of `parts`; the model is left untouched.
  void expectRefused(const std::vector<std::string> &parts) {
    for (const char *command : {"train", "eval"}) {
      LogisticModel model;
      for (NamedTensor &t : model.tensors())
        std::fill(t.data, t.data + t.size(), 5.0f);
      const std::vector<float> before = snapshot(model);
      std::vector<std::string> args = {command, "--checkpoint-dir", dir,
                                       "--quiet"};
      if (std::string(command) == "train")
        args.push_back("--resume");
      std::string out, err;
      EXPECT_EQ(runCaptured(model, args, out, err), 1) << command;
      for (const std::string &p : parts)
        EXPECT_TRUE(contains(err, p)) << command << ": '" << p << "' not in "
                                      << err;
      EXPECT_EQ(snapshot(model), before) << command;
    }
  }

  std::string dir, path;
  SafeTensorsFile good;
};

} // namespace

TEST_F(CheckpointTest, Truncated) {
  const std::string bytes = readText(path);
  ASSERT_GT(bytes.size(), 100u);
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(bytes.size() - 10)), 0);
  expectRefused({path});
  std::ofstream(path, std::ios::trunc) << "abc";
  expectRefused({path, "too short"});
}

TEST_F(CheckpointTest, WrongShape) {
  rewrite([](SafeTensorsFile &f) {
    for (TensorRecord &t : f.tensors)
      if (t.name == "fc.weight") {
        t.shape = {10, 63};
        t.bytes.resize(10 * 63 * 4);
      }
  });
  expectRefused({path, "fc.weight", "[10, 63]", "[10, 64]"});
}

TEST_F(CheckpointTest, MissingTensor) {
  rewrite([](SafeTensorsFile &f) {
    f.tensors.erase(std::find_if(
        f.tensors.begin(), f.tensors.end(),
        [](const TensorRecord &t) { return t.name == "fc.bias"; }));
  });
  expectRefused({path, "missing tensor 'fc.bias'"});
}

TEST_F(CheckpointTest, ExtraTensorWrongDtypeBadMetadata) {
  rewrite([](SafeTensorsFile &f) {
    f.tensors.push_back(tensorF32("fc2.weight", {2}, {1.f, 2.f}));
  });
  expectRefused({path, "unexpected tensor 'fc2.weight'"});

  rewrite([](SafeTensorsFile &f) {
    for (TensorRecord &t : f.tensors)
      if (t.name == "norm.running_mean")
        t = tensorF64(t.name, {1}, {0.0}); // F64: 8 bytes
  });
  expectRefused({path, "norm.running_mean", "F64"});

  rewrite([](SafeTensorsFile &f) { f.metadata.erase("rng_state"); });
  expectRefused({path, "rng_state"});

  rewrite([](SafeTensorsFile &f) { f.metadata["format_version"] = "99"; });
  expectRefused({path, "format_version"});
}

TEST_F(CheckpointTest, MissingFileIsNamed) {
  ASSERT_EQ(::unlink(path.c_str()), 0);
  expectRefused({path});
}

TEST_F(CheckpointTest, RoundTripRestoresEveryTensorAndTheRunState) {
  LogisticModel model;
  const CheckpointInfo info = loadCheckpoint(path, model);
  EXPECT_EQ(info.model, "logistic");
  EXPECT_EQ(info.epoch, 1);
  EXPECT_EQ(info.epochs, 1);
  EXPECT_EQ(info.schedule, "paper");
  EXPECT_FLOAT_EQ(static_cast<float>(info.lr), 0.1f);
  EXPECT_EQ(info.batch, 32);
  EXPECT_EQ(info.data, "digits");
  cardinal::rt::Random rng(0); // fresh run with seed 0: init draws 640 uniforms
  for (int i = 0; i < 640; ++i)
    rng.uniform();
  EXPECT_EQ(info.rng, rng.state());
  for (const NamedTensor &t : model.tensors())
    EXPECT_EQ(std::memcmp(t.data, good.at(t.name).bytes.data(),
                          t.size() * sizeof(float)),
              0)
        << t.name;
  // State moved away from its zero init: the fake BN ran.
  EXPECT_NE(model.tensors()[2].data[0], 0.0f);
}
