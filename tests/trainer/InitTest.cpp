//===- InitTest.cpp - fresh-run initialization -----------------------------===//

#include "runtime/trainer/Init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using namespace cardinal::rt;

namespace {

struct Owned {
  std::vector<std::vector<float>> buffers;
  std::vector<NamedTensor> tensors;
  void add(std::string name, NamedTensor::Kind kind, std::string init,
           std::vector<int64_t> shape) {
    NamedTensor t{std::move(name), kind, std::move(init), std::move(shape),
                  nullptr};
    buffers.emplace_back(t.size(), -7.0f);
    tensors.push_back(t);
  }
  void bind() {
    for (size_t i = 0; i < tensors.size(); ++i)
      tensors[i].data = buffers[i].data();
  }
};

double stddevOf(const std::vector<float> &v) {
  double s = 0, s2 = 0;
  for (float x : v) {
    s += x;
    s2 += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(v.size()), mean = s / n;
  return std::sqrt(s2 / n - mean * mean);
}

} // namespace

TEST(InitTest, Fans) {
  EXPECT_EQ(fanOut({64, 16, 3, 3}), 64 * 9); // torchvision's fan_out mode
  EXPECT_EQ(fanIn({64, 16, 3, 3}), 16 * 9);
  EXPECT_EQ(fanIn({10, 2048}), 2048);
  EXPECT_EQ(fanOut({10, 2048}), 10);
}

TEST(InitTest, EachInitByItsRule) {
  using K = NamedTensor::Kind;
  Owned o;
  o.add("conv.weight", K::Param, "he_normal", {256, 8, 3, 3});
  o.add("fc.weight", K::Param, "linear_uniform", {10, 400});
  o.add("fc.bias", K::Param, "linear_uniform", {10});
  o.add("bn.weight", K::Param, "ones", {32});
  o.add("bn.bias", K::Param, "zeros", {32});
  o.add("bn.running_var", K::State, "ones", {32});
  o.add("conv.weight.velocity", K::Velocity, "he_normal", {256, 8, 3, 3});
  o.bind();
  Random rng(42);
  initializeTensors(o.tensors, rng);

  EXPECT_NEAR(stddevOf(o.buffers[0]), std::sqrt(2.0 / (256 * 9)), 0.002);
  const double fcBound = 1 / std::sqrt(400.0);
  for (float x : o.buffers[1])
    EXPECT_LE(std::fabs(x), fcBound);
  EXPECT_NEAR(stddevOf(o.buffers[1]), fcBound / std::sqrt(3.0), 0.003);
  for (float x : o.buffers[2]) // the bias takes fc.weight's fan_in
    EXPECT_LE(std::fabs(x), fcBound);
  EXPECT_NE(o.buffers[2][0], 0.0f);
  for (float x : o.buffers[3])
    EXPECT_EQ(x, 1.0f);
  for (float x : o.buffers[4])
    EXPECT_EQ(x, 0.0f);
  for (float x : o.buffers[5])
    EXPECT_EQ(x, 1.0f);
  for (float x : o.buffers[6]) // velocities start at zero whatever init says
    EXPECT_EQ(x, 0.0f);
}

TEST(InitTest, SameSeedSameWeightsOtherSeedOthers) {
  auto draw = [](uint64_t seed) {
    Owned o;
    o.add("a.weight", NamedTensor::Kind::Param, "he_normal", {8, 4, 3, 3});
    o.add("b.weight", NamedTensor::Kind::Param, "linear_uniform", {5, 7});
    o.bind();
    Random rng(seed);
    initializeTensors(o.tensors, rng);
    return o.buffers;
  };
  EXPECT_EQ(draw(1), draw(1));
  EXPECT_NE(draw(1), draw(2));
}

TEST(InitTest, ErrorsNameTheTensor) {
  Owned o;
  o.add("x.weight", NamedTensor::Kind::Param, "xavier", {4, 4});
  o.bind();
  Random rng(0);
  try {
    initializeTensors(o.tensors, rng);
    FAIL() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("x.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("xavier"), std::string::npos);
  }
  Owned b;
  b.add("head.bias", NamedTensor::Kind::Param, "linear_uniform", {4});
  b.bind();
  EXPECT_THROW(initializeTensors(b.tensors, rng), std::runtime_error);
}
