//===- TestUtil.h - helpers shared by the trainer tests --------------------===//
#ifndef CARDINAL_TESTS_TRAINER_TESTUTIL_H
#define CARDINAL_TESTS_TRAINER_TESTUTIL_H

#include "runtime/trainer/CompiledModel.h"
#include "runtime/trainer/TrainerMain.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cardinal::rt::trainertest {

/// A fresh directory under /tmp, removed (with its contents) at exit.
inline std::string makeTempDir() {
  static struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const std::string &d : dirs)
        std::filesystem::remove_all(d, ec);
    }
  } cleanup;
  char tmpl[] = "/tmp/cardinal-trainer-test-XXXXXX";
  const char *dir = ::mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  if (!dir)
    return "/tmp";
  cleanup.dirs.push_back(dir);
  return dir;
}

/// runTrainer with argv = {"trainer", args...}.
inline int runArgs(CompiledModel &model, const std::vector<std::string> &args) {
  std::vector<std::string> storage = {"trainer"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &s : storage)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  return runTrainer(static_cast<int>(storage.size()), argv.data(), model);
}

/// runArgs, returning what it wrote to stderr in `err` (and stdout in `out`).
inline int runCaptured(CompiledModel &model,
                       const std::vector<std::string> &args, std::string &out,
                       std::string &err) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = runArgs(model, args);
  err = ::testing::internal::GetCapturedStderr();
  out = ::testing::internal::GetCapturedStdout();
  return rc;
}

inline std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The CSV with its last column (seconds, wall time) removed.
inline std::string withoutSeconds(const std::string &csv) {
  std::stringstream in(csv);
  std::string line, result;
  while (std::getline(in, line))
    result += line.substr(0, line.rfind(',')) + "\n";
  return result;
}

/// Every tensor's bytes, concatenated in tensors() order.
inline std::vector<float> snapshot(CompiledModel &model) {
  std::vector<float> all;
  for (const NamedTensor &t : model.tensors())
    all.insert(all.end(), t.data, t.data + t.size());
  return all;
}

} // namespace cardinal::rt::trainertest

#endif // CARDINAL_TESTS_TRAINER_TESTUTIL_H
