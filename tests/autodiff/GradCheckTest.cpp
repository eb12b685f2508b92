//===- GradCheckTest.cpp - every VJP rule against finite differences ------===//
//
// Each case builds a small forward graph, runs --nn-attach-loss and
// --nn-autodiff, evaluates the gradients in double with the reference
// interpreter and compares them element-wise with central differences of
// the loss (h = 1e-6): relative error <= 1e-5 with max(|a|, |b|, 1e-3) as
// the denominator. See GradCheck.h.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"

#include "models/ResNeXt.h"
#include "models/Zoo.h"

#include <cstdio>

using namespace cardinal;
using namespace cardinal::testing;
using dsl::Graph;
using dsl::Tensor;

namespace {

constexpr double kTolerance = 1e-5;

/// Runs the check and asserts on it; prints the report for the log.
void expectGradientsMatch(const TrainingGraphs &g,
                          const GradCheckOptions &o = {}) {
  ASSERT_TRUE(g) << g.errors;
  GradCheckReport r = checkGradients(g, o);
  ASSERT_TRUE(r.errors.empty()) << r.errors;
  EXPECT_TRUE(r.missing.empty())
      << "no gradient for parameter '" << r.missing.front() << "'";
  const ::testing::TestInfo *info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::printf("[ gradcheck ] %s.%s: %s\n", info->test_suite_name(),
              info->name(), describeReport(r).c_str());
  EXPECT_GT(r.params, 0);
  EXPECT_GT(r.checked, 0);
  EXPECT_LE(r.maxRelError, kTolerance) << describeReport(r);
  // Differences across a kink are skipped; they must stay rare or the check
  // would silently test little.
  EXPECT_LE(r.skipped, std::max<int64_t>(2, (r.checked + r.skipped) / 50))
      << describeReport(r);
}

/// The classifier head every case ends with: global pool, fc with bias.
Tensor head(Graph &g, Tensor x, int64_t classes = 5) {
  return g.linear("fc", g.globalAvgPool(x), classes);
}

//===----------------------------------------------------------------------===//
// The harness itself: a difference across a kink must be recognised.
//===----------------------------------------------------------------------===//

TEST(GradCheckHarness, KinkSignatureSeesReluAndMaxPoolPieces) {
  dsl::Graph g("kinks");
  Tensor x = g.input("x", {1, 1, 2, 2});
  g.output({g.relu(x), g.maxPool(x, 2, 2, 0)});
  auto ctx = makeContext();
  auto m = mlir::parseSourceString<mlir::ModuleOp>(g.toMLIR(), ctx.get());
  ASSERT_TRUE(m);
  mlir::func::FuncOp f = firstFunc(*m);
  auto signatureAt = [&](std::vector<double> v) {
    HostTensor<double> t({1, 1, 2, 2});
    t.data = std::move(v);
    interp::EvalTrace<double> trace;
    EXPECT_TRUE(mlir::succeeded(
        interp::evaluate<double>(f, {}, {{"x", t}}, {}, &trace)));
    return kinkSignature(trace);
  };
  KinkSignature base = signatureAt({0.5, -0.25, 0.75, 0.1});
  ASSERT_EQ(base.relu.size(), 1u);
  ASSERT_EQ(base.argmax.size(), 1u);
  EXPECT_EQ(base.argmax[0], std::vector<int64_t>{2});
  EXPECT_EQ(base, signatureAt({0.5001, -0.2501, 0.7499, 0.1001}));
  EXPECT_NE(base, signatureAt({0.5, 0.25, 0.75, 0.1}));  // a ReLU flips
  EXPECT_NE(base, signatureAt({0.8, -0.25, 0.75, 0.1})); // the argmax moves
  // Ties go to the first maximum, as max_pool2d_grad routes them.
  EXPECT_EQ(signatureAt({0.75, -0.25, 0.75, 0.1}).argmax[0],
            std::vector<int64_t>{0});
}

//===----------------------------------------------------------------------===//
// Convolutions.
//===----------------------------------------------------------------------===//

/// x -> 1x1 conv (so that the tested conv's input needs a gradient) ->
/// conv with bias, non-square kernel, asymmetric stride/padding/dilation ->
/// head. Written in nn text: the DSL has neither bias nor dilation.
std::string dilatedConvText(int64_t groups) {
  const int64_t I = 6 / groups;
  std::string w = "6x" + std::to_string(I) + "x3x2";
  return R"mlir(
func.func @conv() -> tensor<2x5xf32> {
  %x = nn.input "x" : tensor<2x3x9x8xf32>
  %w0 = nn.param "conv0.weight" init "he_normal" : tensor<6x3x1x1xf32>
  %a = nn.conv2d %x, %w0 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x9x8xf32>, tensor<6x3x1x1xf32>) -> tensor<2x6x9x8xf32>
  %w1 = nn.param "conv1.weight" init "he_normal" : tensor<)mlir" +
         w + R"mlir(xf32>
  %b1 = nn.param "conv1.bias" init "zeros" : tensor<6xf32>
  %c = nn.conv2d %a, %w1, %b1 stride [2, 1] pad [1, 2] dilation [2, 1] groups )mlir" +
         std::to_string(groups) + R"mlir( : (tensor<2x6x9x8xf32>, tensor<)mlir" +
         w + R"mlir(xf32>, tensor<6xf32>) -> tensor<2x6x4x11xf32>
  %p = nn.global_avg_pool %c : tensor<2x6x4x11xf32> -> tensor<2x6xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<5x6xf32>
  %fb = nn.param "fc.bias" init "linear_uniform" : tensor<5xf32>
  %l = nn.linear %p, %fw, %fb : (tensor<2x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %l : tensor<2x5xf32>
})mlir";
}

TEST(GradCheck, DenseConvWithBiasStrideDilationPadding) {
  expectGradientsMatch(prepareTraining(dilatedConvText(1)));
}

TEST(GradCheck, GroupedConvWithBiasStrideDilationPadding) {
  expectGradientsMatch(prepareTraining(dilatedConvText(3)));
}

/// A 3x3 conv on 8 channels with cardinality (groups) C, stride, padding,
/// after a dense 1x1 conv (whose gradient needs the grouped conv's
/// d(input)).
void checkGroupedConv(int64_t groups, int64_t stride, int64_t pad) {
  expectGradientsMatch(prepareTraining("conv", [&](Graph &g) {
    Tensor x = g.input("x", {2, 4, 7, 7});
    Tensor h = g.conv("conv1", x, 8, 1); // dense 1x1
    h = g.conv("conv2", h, 8, 3, stride, groups, pad);
    g.output({head(g, h)});
  }));
}

TEST(GroupedConv, C1Stride1Pad1) { checkGroupedConv(1, 1, 1); }
TEST(GroupedConv, C1Stride2Pad0) { checkGroupedConv(1, 2, 0); }
TEST(GroupedConv, C2Stride1Pad0) { checkGroupedConv(2, 1, 0); }
TEST(GroupedConv, C2Stride2Pad1) { checkGroupedConv(2, 2, 1); }
TEST(GroupedConv, C4Stride1Pad1) { checkGroupedConv(4, 1, 1); }
TEST(GroupedConv, C4Stride2Pad1) { checkGroupedConv(4, 2, 1); }
TEST(GroupedConv, C4Stride2Pad0) { checkGroupedConv(4, 2, 0); }
TEST(GroupedConv, C8Stride1Pad1) { checkGroupedConv(8, 1, 1); } // depthwise

//===----------------------------------------------------------------------===//
// Normalization and non-linearities.
//===----------------------------------------------------------------------===//

TEST(GradCheck, BatchNormTraining) {
  expectGradientsMatch(prepareTraining("bn", [](Graph &g) {
    Tensor x = g.input("x", {4, 3, 4, 4});
    Tensor h = g.bn("bn1", g.conv("conv1", x, 6, 3), /*training=*/true);
    h = g.bn("bn2", g.conv("conv2", h, 6, 1), /*training=*/true);
    g.output({head(g, h)});
  }));
}

TEST(GradCheck, BatchNormOnInputNeedsNoInputGradient) {
  // BN straight on the image: scale/shift get gradients, the input none.
  expectGradientsMatch(prepareTraining("bn_in", [](Graph &g) {
    Tensor x = g.input("x", {3, 2, 3, 3});
    g.output({head(g, g.bn("bn", x, true))});
  }));
}

TEST(GradCheck, Relu) {
  expectGradientsMatch(prepareTraining("relu", [](Graph &g) {
    Tensor x = g.input("x", {2, 3, 5, 5});
    Tensor h = g.relu(g.conv("conv1", x, 6, 3));
    h = g.relu(g.conv("conv2", h, 6, 3, 2));
    g.output({head(g, h)});
  }));
}

TEST(GradCheck, AddAccumulatesGradientsOfValuesUsedTwice) {
  expectGradientsMatch(prepareTraining("add", [](Graph &g) {
    Tensor x = g.input("x", {2, 4, 5, 5});
    Tensor r = g.relu(g.bn("bn1", g.conv("conv1", x, 4, 3), true));
    Tensor s = g.add(r, g.conv("conv2", r, 4, 3)); // r used twice
    s = g.add(s, s);                                // both operands the same
    g.output({head(g, g.relu(s))});
  }));
}

TEST(GradCheck, ConcatAndSlice) {
  expectGradientsMatch(prepareTraining("concat", [](Graph &g) {
    Tensor x = g.input("x", {2, 3, 5, 5});
    Tensor a = g.conv("a", x, 4, 3), b = g.conv("b", x, 6, 1);
    Tensor c = g.concat({a, b});                  // 10 channels
    Tensor s1 = g.slice(c, 1, 2, 5);              // straddles a and b
    Tensor s2 = g.slice(c, 1, 0, 8);              // c used twice
    Tensor u = g.add(g.conv("c", s1, 8, 1), s2);
    u = g.slice(g.concat({u, u}, 3), 3, 3, 5);    // along width
    g.output({head(g, u)});
  }));
}

TEST(GradCheck, MaxPool) {
  expectGradientsMatch(prepareTraining("pool", [](Graph &g) {
    Tensor x = g.input("x", {2, 3, 7, 7});
    Tensor h = g.maxPool(g.conv("conv1", x, 4, 3), 3, 2, 1); // padded, overlap
    h = g.maxPool(g.conv("conv2", h, 4, 1), 2, 1, 0);
    g.output({head(g, h)});
  }));
}

//===----------------------------------------------------------------------===//
// Pooling and the classifier.
//===----------------------------------------------------------------------===//

TEST(GradCheck, GlobalAvgPool) {
  expectGradientsMatch(prepareTraining("gap", [](Graph &g) {
    Tensor x = g.input("x", {3, 3, 4, 5});
    g.output({head(g, g.conv("conv", x, 5, 3), 4)});
  }));
}

TEST(GradCheck, LinearWithBias) {
  expectGradientsMatch(prepareTraining("mlp", [](Graph &g) {
    Tensor x = g.input("x", {4, 6});
    Tensor h = g.relu(g.linear("fc1", x, 7));
    g.output({g.linear("fc2", h, 3)});
  }));
}

//===----------------------------------------------------------------------===//
// Whole blocks and models.
//===----------------------------------------------------------------------===//

TEST(GradCheck, ResNeXtBlockFormC) {
  TrainingGraphs g = prepareTraining(
      "block",
      [](Graph &g) {
        Tensor x = g.input("x", {2, 4, 6, 6});
        auto s = g.scope("blk");
        Tensor y = models::resnextBlock(g, x, /*C=*/4, /*d=*/2, /*w=*/8,
                                        /*stride=*/2);
        g.output({head(g, y)});
      },
      "nn-lower-aggregate{form=c}");
  ASSERT_TRUE(g) << g.errors;
  // Form (c): one grouped conv (groups = C), no aggregate left.
  bool grouped = false;
  g.lossFn().walk([&](nn::Conv2dOp c) { grouped |= c.getGroups() == 4; });
  EXPECT_TRUE(grouped);
  EXPECT_TRUE(g.lossFn().getOps<nn::AggregateOp>().empty());
  expectGradientsMatch(g);
}

TEST(GradCheck, ZooResNeXtSmall) {
  const models::ZooEntry *entry = models::findModel("resnext_small");
  ASSERT_NE(entry, nullptr);
  dsl::ModelOptions opts;
  opts.image = 8;
  opts.channels = 1;
  opts.batch = 4;
  TrainingGraphs g = prepareTraining(
      "resnext_small", [&](Graph &g) { entry->build(g, opts); },
      "nn-lower-aggregate{form=c}");
  GradCheckOptions o;
  o.perParam = 20; // a random subset keeps the whole model fast
  expectGradientsMatch(g, o);
}

} // namespace
