//===- TorchCompareTest.cpp - one block forward vs PyTorch, float64 -------===//
//
// A block with BN in training mode (conv, grouped conv, BN train, ReLU,
// projection shortcut) in each of the paper's forms (a), (b), (c), against
// the same form written in torch.nn.functional (torch_block.py), with the
// same weights. Debian's python3-torch lives in /usr/bin/python3's path;
// where it is not installed the test skips with a message.
//
//===----------------------------------------------------------------------===//
#include "BlockForms.h"

#include "interp/Interpreter.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace cardinal;
using namespace cardinal::testing;

namespace {

void writeTensor(std::ostream &os, const std::string &name,
                 const HostTensor<double> &t) {
  os << name << ' ' << t.shape.size();
  for (int64_t d : t.shape)
    os << ' ' << d;
  os << '\n';
  char buf[32];
  for (int64_t i = 0; i < t.numel(); ++i) {
    std::snprintf(buf, sizeof buf, "%.17g", t.data[i]);
    os << (i ? " " : "") << buf;
  }
  os << '\n';
}

bool readTensor(const std::string &path, HostTensor<double> &t) {
  std::ifstream in(path);
  std::string name;
  size_t rank;
  if (!(in >> name >> rank))
    return false;
  std::vector<int64_t> shape(rank);
  for (int64_t &d : shape)
    in >> d;
  t = HostTensor<double>(shape);
  for (double &x : t.data)
    if (!(in >> x))
      return false;
  return true;
}

class TorchCompareTest : public ::testing::TestWithParam<Form> {};

TEST_P(TorchCompareTest, BlockWithTrainingBatchNorm) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "PyTorch is not importable by /usr/bin/python3 "
                    "(Debian python3-torch not installed): skipping the "
                    "PyTorch comparison";

  BlockConfig c;
  c.training = true;
  c.stride = 2;
  c.width = 16; // projection shortcut
  const Form form = GetParam();
  const char *letter = form == Form::A ? "a" : form == Form::B ? "b" : "c";
  Module m = blockModule(c, form);
  ASSERT_TRUE(m);
  TensorMap<double> params = interp::randomParams<double>(m.func(), 11);
  TensorMap<double> inputs = interp::randomInputs<double>(m.func(), 12);
  DiagnosticCapture diags(m.context.get());
  auto ours = interp::evaluate<double>(m.func(), params, inputs);
  ASSERT_TRUE(mlir::succeeded(ours)) << diags.text();

  std::string dir = ::testing::TempDir();
  // One pair of files per form: ctest runs the forms in parallel.
  std::string tensors = dir + "cardinal_interp_torch_in_" + letter + ".txt",
              out = dir + "cardinal_interp_torch_out_" + letter + ".txt";
  {
    std::ofstream os(tensors);
    for (const auto &[name, t] : params)
      writeTensor(os, name, t);
    writeTensor(os, "x", inputs.at("x"));
  }
  std::ostringstream cmd;
  cmd << "/usr/bin/python3 " << CARDINAL_INTERP_TEST_DIR << "/torch_block.py "
      << tensors << ' ' << out << ' ' << c.C << ' ' << c.stride << ' '
      << letter;
  ASSERT_EQ(std::system(cmd.str().c_str()), 0) << cmd.str();
  HostTensor<double> theirs;
  ASSERT_TRUE(readTensor(out, theirs)) << "could not read " << out;
  double delta = maxAbsDiff((*ours)[0], theirs);
  EXPECT_LE(delta, 1e-10) << "form (" << letter << ")";
  std::remove(tensors.c_str());
  std::remove(out.c_str());
}

INSTANTIATE_TEST_SUITE_P(Forms, TorchCompareTest,
                         ::testing::Values(Form::A, Form::B, Form::C),
                         [](const ::testing::TestParamInfo<Form> &info) {
                           return info.param == Form::A   ? "a"
                                  : info.param == Form::B ? "b"
                                                          : "c";
                         });

} // namespace
