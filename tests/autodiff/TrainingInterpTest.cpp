//===- TrainingInterpTest.cpp - the interpreter on training graphs --------===//
//
// Sanity of the forward half of a training graph (BN in training mode) and
// the interpreter's errors on what it does not evaluate: backward ops in
// GF(2^61-1) and nn.sgd_update.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"

#include "models/ResNeXt.h"

using namespace cardinal;
using namespace cardinal::testing;
using dsl::Graph;
using dsl::Tensor;

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)            \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

namespace {

TrainingGraphs blockWithHead() {
  return prepareTraining(
      "block",
      [](Graph &g) {
        Tensor x = g.input("x", {3, 4, 6, 6});
        Tensor y = models::resnextBlock(g, x, 4, 2, 8, 1);
        g.output({g.linear("fc", g.globalAvgPool(y), 5)});
      },
      "nn-lower-aggregate{form=c}");
}

double maxAbsDiff(const HostTensor<double> &a, const HostTensor<double> &b) {
  if (a.shape != b.shape)
    return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, std::fabs(a.data[i] - b.data[i]));
  return m;
}

//===----------------------------------------------------------------------===//
// Forward sanity.
//===----------------------------------------------------------------------===//

// The training graph's forward results (loss, logits) are those of the loss
// graph, bit for bit, and those are the original model's logits with every
// BN switched to batch statistics (and differ from the eval-mode ones).
TEST(TrainingForward, MatchesForwardWithBatchStatistics) {
  TrainingGraphs g = blockWithHead();
  ASSERT_TRUE(g) << g.errors;
  auto params = interp::randomParams<double>(g.lossFn(), 3);
  auto inputs = interp::randomInputs<double>(g.lossFn(), 4);

  DiagnosticCapture diags(g.context.get());
  auto train = interp::evaluate<double>(g.trainFn(), params, inputs);
  auto loss = interp::evaluate<double>(g.lossFn(), params, inputs);
  ASSERT_TRUE(mlir::succeeded(train) && mlir::succeeded(loss)) << diags.text();
  ASSERT_EQ(loss->size(), 2u);
  EXPECT_EQ((*train)[0], (*loss)[0]); // loss
  EXPECT_EQ((*train)[1], (*loss)[1]); // logits

  // The forward model as built (eval-mode BN), and with training-mode BN.
  mlir::func::FuncOp fwd = g.forwardFn();
  auto evalMode = interp::evaluate<double>(fwd, params, inputs);
  ASSERT_TRUE(mlir::succeeded(evalMode)) << diags.text();
  int bns = 0;
  fwd.walk([&](nn::BatchNormOp bn) {
    EXPECT_FALSE(bn.getTraining());
    bn.setTraining(true);
    ++bns;
  });
  EXPECT_GE(bns, 3);
  auto trainMode = interp::evaluate<double>(fwd, params, inputs);
  ASSERT_TRUE(mlir::succeeded(trainMode)) << diags.text();
  EXPECT_EQ((*trainMode)[0], (*loss)[1]);
  EXPECT_GT(maxAbsDiff((*evalMode)[0], (*loss)[1]), 1e-3)
      << "nn-attach-loss did not switch BN to batch statistics";
}

// Training-mode BN of the interpreter against the formula written out here:
// per channel, mean and biased variance over N, H, W.
TEST(TrainingForward, BatchNormUsesBiasedBatchStatistics) {
  TrainingGraphs g = prepareTraining("bn", [](Graph &g) {
    Tensor x = g.input("x", {3, 2, 2, 3});
    Tensor y = g.bn("bn", x, false, /*eps=*/1e-3);
    g.output({g.linear("fc", g.globalAvgPool(g.relu(y)), 4)});
  });
  ASSERT_TRUE(g) << g.errors;
  auto params = interp::randomParams<double>(g.lossFn(), 5);
  auto inputs = interp::randomInputs<double>(g.lossFn(), 6);
  interp::EvalTrace<double> trace;
  DiagnosticCapture diags(g.context.get());
  auto r = interp::evaluate<double>(g.trainFn(), params, inputs, {}, &trace);
  ASSERT_TRUE(mlir::succeeded(r)) << diags.text();

  const HostTensor<double> *bnOut = nullptr;
  int bnGradResults = 0;
  for (auto &[op, t] : trace.values) {
    if (mlir::isa<nn::BatchNormOp>(op))
      bnOut = &t;
    bnGradResults += mlir::isa<nn::BatchNormGradOp>(op);
  }
  ASSERT_NE(bnOut, nullptr);
  EXPECT_EQ(bnGradResults, 3); // the trace holds every result

  const HostTensor<double> &x = inputs.at("x");
  const HostTensor<double> &scale = params.at("bn.scale"),
                           &shift = params.at("bn.shift");
  const int64_t N = 3, C = 2, HW = 6;
  for (int64_t c = 0; c < C; ++c) {
    double mean = 0, var = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t j = 0; j < HW; ++j)
        mean += x.data[(n * C + c) * HW + j];
    mean /= N * HW;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t j = 0; j < HW; ++j) {
        double d = x.data[(n * C + c) * HW + j] - mean;
        var += d * d;
      }
    var /= N * HW; // biased
    for (int64_t n = 0; n < N; ++n)
      for (int64_t j = 0; j < HW; ++j) {
        int64_t at = (n * C + c) * HW + j;
        double want = (x.data[at] - mean) / std::sqrt(var + 1e-3) *
                          scale.data[c] +
                      shift.data[c];
        EXPECT_NEAR(bnOut->data[at], want, 1e-12) << "at " << at;
      }
  }
}

//===----------------------------------------------------------------------===//
// Errors, not crashes.
//===----------------------------------------------------------------------===//

/// One function per backward op, reading nn.inputs only.
struct GradOpCase {
  const char *name;
  const char *body; // ops after the inputs, defining %r
  const char *inputs;
  const char *result;
};

std::string gradOpFunc(const GradOpCase &c) {
  return std::string("func.func @f() -> ") + c.result + " {\n" + c.inputs +
         c.body + "  return %r : " + c.result + "\n}\n";
}

const GradOpCase kGradOps[] = {
    {"nn.conv2d_grad_input",
     "  %r = nn.conv2d_grad_input %dy, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x4x3x3xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x3x3xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x4x3x3xf32>\n"
     "  %w = nn.input \"w\" : tensor<4x2x3x3xf32>\n",
     "tensor<2x4x3x3xf32>"},
    {"nn.conv2d_grad_weight",
     "  %r = nn.conv2d_grad_weight %x, %dy stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<4x2x3x3xf32>\n",
     "  %x = nn.input \"x\" : tensor<2x4x3x3xf32>\n"
     "  %dy = nn.input \"dy\" : tensor<2x4x3x3xf32>\n",
     "tensor<4x2x3x3xf32>"},
    {"nn.bias_grad", "  %r = nn.bias_grad %dy : tensor<2x4x3x3xf32> -> tensor<4xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x4x3x3xf32>\n", "tensor<4xf32>"},
    {"nn.batch_norm_grad",
     "  %r, %ds, %db = nn.batch_norm_grad %dy, %x, %s : tensor<2x4x3x3xf32>, tensor<4xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x4x3x3xf32>\n"
     "  %x = nn.input \"x\" : tensor<2x4x3x3xf32>\n"
     "  %s = nn.input \"s\" : tensor<4xf32>\n",
     "tensor<2x4x3x3xf32>"},
    {"nn.relu_grad", "  %r = nn.relu_grad %dy, %y : tensor<2x4xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x4xf32>\n"
     "  %y = nn.input \"y\" : tensor<2x4xf32>\n",
     "tensor<2x4xf32>"},
    {"nn.slice_grad",
     "  %r = nn.slice_grad %dy axis 1 start 1 : tensor<2x2xf32> -> tensor<2x4xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x2xf32>\n", "tensor<2x4xf32>"},
    {"nn.max_pool2d_grad",
     "  %r = nn.max_pool2d_grad %dy, %x kernel [2, 2] stride [2, 2] pad [0, 0] : tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<1x2x2x2xf32>\n"
     "  %x = nn.input \"x\" : tensor<1x2x4x4xf32>\n",
     "tensor<1x2x4x4xf32>"},
    {"nn.global_avg_pool_grad",
     "  %r = nn.global_avg_pool_grad %dy : tensor<2x4xf32> -> tensor<2x4x3x3xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x4xf32>\n", "tensor<2x4x3x3xf32>"},
    {"nn.linear_grad_input",
     "  %r = nn.linear_grad_input %dy, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>\n",
     "  %dy = nn.input \"dy\" : tensor<2x3xf32>\n"
     "  %w = nn.input \"w\" : tensor<3x4xf32>\n",
     "tensor<2x4xf32>"},
    {"nn.linear_grad_weight",
     "  %r = nn.linear_grad_weight %x, %dy : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<3x4xf32>\n",
     "  %x = nn.input \"x\" : tensor<2x4xf32>\n"
     "  %dy = nn.input \"dy\" : tensor<2x3xf32>\n",
     "tensor<3x4xf32>"},
    {"nn.softmax_cross_entropy_grad",
     "  %r = nn.softmax_cross_entropy_grad %l, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x3xf32>\n",
     "  %l = nn.input \"l\" : tensor<2x3xf32>\n"
     "  %y = nn.input \"y\" : tensor<2xi32>\n",
     "tensor<2x3xf32>"},
};

// Every backward op: evaluates in float and double, and is an error (not a
// crash) in GF(2^61-1).
TEST(BackwardOps, EvaluateInFloatAndDoubleAndAreUnsupportedInGF) {
  for (const GradOpCase &c : kGradOps) {
    SCOPED_TRACE(c.name);
    auto ctx = makeContext();
    auto m = mlir::parseSourceString<mlir::ModuleOp>(gradOpFunc(c), ctx.get());
    ASSERT_TRUE(m);
    mlir::func::FuncOp f = firstFunc(*m);
    DiagnosticCapture diags(ctx.get());
    auto rd = interp::evaluate<double>(f, {}, interp::randomInputs<double>(f, 1));
    EXPECT_TRUE(mlir::succeeded(rd)) << diags.text();
    auto rf = interp::evaluate<float>(f, {}, interp::randomInputs<float>(f, 1));
    EXPECT_TRUE(mlir::succeeded(rf)) << diags.text();
    auto rg = interp::evaluate<GF61>(f, {}, interp::randomInputs<GF61>(f, 1));
    EXPECT_TRUE(mlir::failed(rg));
    EXPECT_CONTAINS(diags.text(), std::string("'") + c.name +
                                      "' is unsupported in GF(2^61-1)");
  }
}

// A whole training graph in GF61 fails with diagnostics, no crash.
TEST(BackwardOps, TrainingGraphInGFIsAnError) {
  TrainingGraphs g = blockWithHead();
  ASSERT_TRUE(g) << g.errors;
  DiagnosticCapture diags(g.context.get());
  auto r = interp::evaluate<GF61>(g.trainFn(),
                                  interp::randomParams<GF61>(g.trainFn(), 1),
                                  interp::randomInputs<GF61>(g.trainFn(), 2));
  EXPECT_TRUE(mlir::failed(r));
  EXPECT_CONTAINS(diags.text(), "GF(2^61-1)");
}

TEST(BackwardOps, SgdUpdateIsUnsupported) {
  auto ctx = makeContext();
  auto m = mlir::parseSourceString<mlir::ModuleOp>(R"mlir(
func.func @f() {
  %w = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %g = nn.input "g" : tensor<3x4xf32>
  nn.sgd_update %w, %g velocity "fc.weight.velocity" {momentum = 0.9 : f64, weight_decay = 0.0 : f64} : tensor<3x4xf32>
  return
})mlir",
                                                   ctx.get());
  ASSERT_TRUE(m);
  mlir::func::FuncOp f = firstFunc(*m);
  DiagnosticCapture diags(ctx.get());
  auto r = interp::evaluate<double>(f, interp::randomParams<double>(f, 1),
                                    interp::randomInputs<double>(f, 2));
  EXPECT_TRUE(mlir::failed(r));
  EXPECT_CONTAINS(diags.text(), "does not support 'nn.sgd_update'");
}

// Ties, which finite differences cannot see: dy goes to the first maximum
// of each window (kh-major), and padding never wins even over negatives.
TEST(BackwardOps, MaxPoolGradRoutesToFirstMaximumNeverToPadding) {
  auto ctx = makeContext();
  auto m = mlir::parseSourceString<mlir::ModuleOp>(R"mlir(
func.func @f() -> tensor<1x1x2x2xf32> {
  %dy = nn.input "dy" : tensor<1x1x3x3xf32>
  %x = nn.input "x" : tensor<1x1x2x2xf32>
  %r = nn.max_pool2d_grad %dy, %x kernel [2, 2] stride [1, 1] pad [1, 1] : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  return %r : tensor<1x1x2x2xf32>
})mlir",
                                                   ctx.get());
  ASSERT_TRUE(m);
  TensorMap<double> inputs{{"dy", HostTensor<double>({1, 1, 3, 3}, 1.0)},
                           {"x", HostTensor<double>({1, 1, 2, 2}, -1.0)}};
  DiagnosticCapture diags(ctx.get());
  auto r = interp::evaluate<double>(firstFunc(*m), {}, inputs);
  ASSERT_TRUE(mlir::succeeded(r)) << diags.text();
  // Window (oh, ow) covers rows oh-1..oh, columns ow-1..ow; its first
  // in-bounds position is (max(oh-1, 0), max(ow-1, 0)).
  EXPECT_EQ((*r)[0].data, (std::vector<double>{4, 2, 2, 1}));
}

// Labels of the loss gradient are checked like the loss's.
TEST(BackwardOps, LossGradientChecksLabels) {
  auto ctx = makeContext();
  auto m = mlir::parseSourceString<mlir::ModuleOp>(
      gradOpFunc(kGradOps[10]), ctx.get());
  ASSERT_TRUE(m);
  mlir::func::FuncOp f = firstFunc(*m);
  auto inputs = interp::randomInputs<double>(f, 1);
  inputs["y"].data[1] = 3; // classes are 0..2
  DiagnosticCapture diags(ctx.get());
  EXPECT_TRUE(mlir::failed(interp::evaluate<double>(f, {}, inputs)));
  EXPECT_CONTAINS(diags.text(), "label #1 is 3, not a class index in [0, 3)");
}

} // namespace
