//===- InterpreterTest.cpp - errors, degree bounds, traces, name lookup ---===//
#include "BlockForms.h"

#include "interp/Degree.h"
#include "interp/GFKernels.h"
#include "interp/Interpreter.h"
#include "interp/ParamSpecs.h"

#include <cmath>
#include <set>

using namespace cardinal;
using namespace cardinal::testing;
using dsl::Graph;
using dsl::Tensor;
using interp::evaluate;

namespace {

/// Evaluates `m` with `params`/`inputs`, expecting failure; returns the
/// diagnostics.
template <typename T>
std::string errorOf(const Module &m, const TensorMap<T> &params,
                    const TensorMap<T> &inputs) {
  DiagnosticCapture diags(m.context.get());
  auto r = evaluate<T>(m.func(), params, inputs);
  EXPECT_TRUE(mlir::failed(r)) << "evaluation unexpectedly succeeded";
  return diags.text();
}

/// x [4,3,2,2] -> global pool -> fc(5) -> loss against labels.
Module classifier() {
  return buildModule("cls", [](Graph &g) {
    Tensor x = g.input("x", {4, 3, 2, 2});
    Tensor labels = g.labels("labels", 4);
    Tensor logits = g.linear("fc", g.globalAvgPool(x), 5);
    g.output({g.softmaxCrossEntropy(logits, labels)});
  });
}

//===----------------------------------------------------------------------===//
// Errors name what is wrong.
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, MissingParameterIsNamed) {
  Module m = blockModule({}, Form::Aggregate);
  auto params = interp::randomParams<double>(m.func(), 1);
  auto inputs = interp::randomInputs<double>(m.func(), 2);
  ASSERT_EQ(params.erase("blk.path1.conv2.weight"), 1u);
  EXPECT_CONTAINS(errorOf(m, params, inputs),
                  "no value for parameter 'blk.path1.conv2.weight'");
}

TEST(InterpreterTest, MissingStateIsNamed) {
  Module m = blockModule({}, Form::Aggregate);
  auto params = interp::randomParams<GF61>(m.func(), 1);
  auto inputs = interp::randomInputs<GF61>(m.func(), 2);
  ASSERT_EQ(params.erase("blk.bn3.running_var"), 1u);
  EXPECT_CONTAINS(errorOf(m, params, inputs),
                  "no value for state 'blk.bn3.running_var'");
}

TEST(InterpreterTest, WrongParameterShapeIsNamed) {
  Module m = blockModule({}, Form::Aggregate);
  auto params = interp::randomParams<double>(m.func(), 1);
  auto inputs = interp::randomInputs<double>(m.func(), 2);
  params["blk.path0.conv1.weight"] = HostTensor<double>({1, 2, 3});
  EXPECT_CONTAINS(errorOf(m, params, inputs),
                  "parameter 'blk.path0.conv1.weight' has shape [1, 2, 3] "
                  "but the op declares [2, 8, 1, 1]");
}

TEST(InterpreterTest, MissingInputIsNamed) {
  Module m = blockModule({}, Form::Aggregate);
  auto params = interp::randomParams<float>(m.func(), 1);
  EXPECT_CONTAINS(errorOf<float>(m, params, {}), "no value for input 'x'");
}

TEST(InterpreterTest, UnsupportedOpIsNamed) {
  Module m = parseModule(R"mlir(
    func.func @f() -> tensor<2x3xf32> {
      %x = nn.input "x" : tensor<2x3xf32>
      %y = "test.mystery"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
      return %y : tensor<2x3xf32>
    })mlir");
  ASSERT_TRUE(m);
  TensorMap<double> inputs{{"x", HostTensor<double>({2, 3})}};
  EXPECT_CONTAINS(errorOf<double>(m, {}, inputs),
                  "does not support 'test.mystery'");
}

TEST(InterpreterTest, FunctionArgumentsAreRejected) {
  Module m = parseModule(R"mlir(
    func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
      %y = nn.relu %a : tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir");
  ASSERT_TRUE(m);
  EXPECT_CONTAINS(errorOf<double>(m, {}, {}), "from nn.input ops");
}

TEST(InterpreterTest, SoftmaxCrossEntropyHasNoGFSemantics) {
  Module m = classifier();
  EXPECT_CONTAINS(errorOf(m, interp::randomParams<GF61>(m.func(), 1),
                          interp::randomInputs<GF61>(m.func(), 2)),
                  "softmax_cross_entropy has no GF(2^61-1) semantics");
}

TEST(InterpreterTest, LabelOutOfRangeIsReported) {
  Module m = classifier();
  auto inputs = interp::randomInputs<double>(m.func(), 2);
  inputs["labels"].data[2] = 5; // classes are 0..4
  EXPECT_CONTAINS(errorOf(m, interp::randomParams<double>(m.func(), 1), inputs),
                  "label #2 is 5, not a class index in [0, 5)");
}

//===----------------------------------------------------------------------===//
// Random inputs and the loss.
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, RandomLabelsAreClassIndices) {
  Module m = classifier();
  auto inputs = interp::randomInputs<double>(m.func(), 2);
  std::set<double> seen;
  for (double l : inputs.at("labels").data) {
    EXPECT_EQ(l, std::floor(l));
    EXPECT_GE(l, 0);
    EXPECT_LT(l, 5);
    seen.insert(l);
  }
  EXPECT_EQ(inputs.at("x").shape, (std::vector<int64_t>{4, 3, 2, 2}));
  auto params = interp::randomParams<double>(m.func(), 1);
  EXPECT_EQ(params.size(), 2u); // fc.weight, fc.bias
  auto r = evaluate<double>(m.func(), params, inputs);
  ASSERT_TRUE(mlir::succeeded(r));
  ASSERT_TRUE((*r)[0].shape.empty());
  EXPECT_GT((*r)[0].data[0], 0.0);
  EXPECT_TRUE(std::isfinite((*r)[0].data[0]));
}

//===----------------------------------------------------------------------===//
// Degree bounds.
//===----------------------------------------------------------------------===//

uint64_t degreeOf(const Module &m) {
  auto params = interp::randomParams<GF61>(m.func(), 1);
  auto inputs = interp::randomInputs<GF61>(m.func(), 2);
  uint64_t bound = 0;
  DiagnosticCapture diags(m.context.get());
  auto r = evaluate<GF61>(m.func(), params, inputs, {}, nullptr, &bound);
  EXPECT_TRUE(mlir::succeeded(r)) << diags.text();
  return bound;
}

Module convBnRelu(bool training) {
  return buildModule("cbr", [&](Graph &g) {
    Tensor x = g.input("x", {2, 3, 4, 4});
    g.output({g.relu(g.bn("bn", g.conv("conv", x, 4, 3), training))});
  });
}

TEST(InterpreterTest, DegreeBoundFollowsTheRules) {
  // conv: 1 + 1; BN eval: 2 + 1 (scale) + 3·1 (φ of var); relu: 3·6.
  EXPECT_EQ(degreeOf(convBnRelu(false)), 18u);
  // BN train: 2 + 1 + 3·(2·2) = 15; relu: 45.
  EXPECT_EQ(degreeOf(convBnRelu(true)), 45u);
}

TEST(InterpreterTest, DegreeBoundOfTheBlockIsPositiveFiniteAndFormIndependent) {
  BlockConfig c;
  uint64_t agg = degreeOf(blockModule(c, Form::Aggregate));
  // conv 2, bn 6, relu 18, conv 19, bn 23, relu 69, conv 70, Σ 70,
  // bn 74, + shortcut 74, relu 222.
  EXPECT_EQ(agg, 222u);
  EXPECT_EQ(degreeOf(blockModule(c, Form::A)), agg);
  EXPECT_EQ(degreeOf(blockModule(c, Form::C)), agg);
  BlockConfig t = c;
  t.training = true;
  uint64_t train = degreeOf(blockModule(t, Form::Aggregate));
  EXPECT_GT(train, 0u);
  EXPECT_LT(train, degree::kInfiniteDegree);
}

TEST(InterpreterTest, DegreeBoundSaturates) {
  EXPECT_EQ(degree::mul(degree::kInfiniteDegree / 2, 3),
            degree::kInfiniteDegree);
  EXPECT_EQ(degree::add(degree::kInfiniteDegree, 1), degree::kInfiniteDegree);
}

//===----------------------------------------------------------------------===//
// GF61 details.
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, GFReluOnARankOneTensorIsOneUnlabeledChannel) {
  Module m = parseModule(R"mlir(
    func.func @f() -> tensor<3xf32> {
      %x = nn.input "x" : tensor<3xf32>
      %y = nn.relu %x : tensor<3xf32>
      return %y : tensor<3xf32>
    })mlir");
  ASSERT_TRUE(m);
  HostTensor<GF61> x({3});
  x.data = {GF61(1), GF61(2), GF61(1)};
  auto r = evaluate<GF61>(m.func(), {}, {{"x", x}});
  ASSERT_TRUE(mlir::succeeded(r));
  gf::KeyedCubic phi =
      gf::keyedCubic(interp::EvalOptions().gfKey, gf::channelKey("relu", 0));
  EXPECT_EQ((*r)[0].data, (std::vector<GF61>{phi(GF61(1)), phi(GF61(2)),
                                             phi(GF61(1))}));
}

// Two otherwise identical BNs with different eps must not look equivalent.
TEST(InterpreterTest, GFBatchNormDependsOnEps) {
  auto withEps = [](double eps, bool training) {
    return buildModule("bn", [&](Graph &g) {
      Tensor x = g.input("x", {2, 3, 2, 2});
      g.output({g.bn("bn", x, training, eps)});
    });
  };
  for (bool training : {false, true}) {
    Module a = withEps(1e-5, training), b = withEps(1e-3, training);
    auto p = interp::randomParams<GF61>(a.func(), 1);
    auto in = interp::randomInputs<GF61>(a.func(), 2);
    auto ra = evaluate<GF61>(a.func(), p, in), rb = evaluate<GF61>(b.func(), p, in);
    ASSERT_TRUE(mlir::succeeded(ra) && mlir::succeeded(rb));
    EXPECT_NE((*ra)[0], (*rb)[0]) << (training ? "train" : "eval");
  }
}

//===----------------------------------------------------------------------===//
// Trace, nested aggregates, a whole network.
//===----------------------------------------------------------------------===//

TEST(InterpreterTest, TraceHoldsEveryTopLevelResultInOrder) {
  Module m = blockModule({}, Form::Aggregate);
  auto params = interp::randomParams<double>(m.func(), 1);
  auto inputs = interp::randomInputs<double>(m.func(), 2);
  interp::EvalTrace<double> trace;
  auto r = evaluate<double>(m.func(), params, inputs, {}, &trace);
  ASSERT_TRUE(mlir::succeeded(r));
  std::vector<mlir::Operation *> ops;
  for (mlir::Operation &op : m.func().getBody().front().without_terminator())
    ops.push_back(&op);
  ASSERT_EQ(trace.values.size(), ops.size());
  bool sawAggregate = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(trace.values[i].first, ops[i]);
    sawAggregate |= mlir::isa<nn::AggregateOp>(ops[i]);
  }
  EXPECT_TRUE(sawAggregate);
  EXPECT_EQ(trace.values.back().second, (*r)[0]);
}

TEST(InterpreterTest, NestedAggregatesInsertTheOutermostIndexFirst) {
  auto nested = buildModule("nested", [](Graph &g) {
    Tensor x = g.input("x", {1, 2, 4, 4});
    auto s = g.scope("blk");
    g.output({g.aggregate(x, 2, [&](Tensor in) {
      return g.aggregate(in, 3,
                         [&](Tensor in2) { return g.conv("conv", in2, 2, 3); });
    })});
  });
  auto explicitSum = buildModule("explicit", [](Graph &g) {
    Tensor x = g.input("x", {1, 2, 4, 4});
    auto s = g.scope("blk");
    std::vector<Tensor> outer;
    for (int i = 0; i < 2; ++i) {
      auto si = g.scope(pathScope(i));
      std::vector<Tensor> inner;
      for (int j = 0; j < 3; ++j) {
        auto sj = g.scope(pathScope(j));
        inner.push_back(g.conv("conv", x, 2, 3));
      }
      outer.push_back(sumAll(g, inner));
    }
    g.output({sumAll(g, outer)});
  });
  std::set<std::string> names;
  for (const interp::ValueSpec &s : interp::paramSpecs(nested.func()))
    names.insert(s.name);
  EXPECT_EQ(names.size(), 6u);
  EXPECT_TRUE(names.count("blk.path1.path2.conv.weight"));
  EXPECT_EQ(interp::resolvePathName("blk.conv.weight", {1, 2}),
            "blk.path1.path2.conv.weight");

  auto pd = interp::randomParams<double>(nested.func(), 5);
  EXPECT_EQ(pd, interp::randomParams<double>(explicitSum.func(), 5));
  auto id = interp::randomInputs<double>(nested.func(), 6);
  auto a = evaluate<double>(nested.func(), pd, id);
  auto b = evaluate<double>(explicitSum.func(), pd, id);
  ASSERT_TRUE(mlir::succeeded(a) && mlir::succeeded(b));
  EXPECT_LE(maxAbsDiff((*a)[0], (*b)[0]), 1e-12);

  auto pg = interp::randomParams<GF61>(nested.func(), 5);
  auto ig = interp::randomInputs<GF61>(nested.func(), 6);
  auto ga = evaluate<GF61>(nested.func(), pg, ig);
  auto gb = evaluate<GF61>(explicitSum.func(), pg, ig);
  ASSERT_TRUE(mlir::succeeded(ga) && mlir::succeeded(gb));
  EXPECT_EQ((*ga)[0], (*gb)[0]);
}

TEST(InterpreterTest, TinyResNeXtEvaluatesInEveryNumberType) {
  models::ResNeXtSpec spec;
  spec.blocks = {1, 1};
  spec.cardinality = 2;
  spec.bottleneckWidth = 2;
  spec.stemWidth = 4;
  spec.firstStageWidth = 8;
  dsl::ModelOptions options;
  options.batch = 2;
  options.image = 16; // stem conv s2 -> 8, max pool -> 4, stage 3 -> 2
  options.classes = 3;
  Module m = buildModule("tiny", [&](Graph &g) {
    models::buildResNeXt(g, spec, options);
  });
  ASSERT_TRUE(m);
  DiagnosticCapture diags(m.context.get());

  interp::EvalTrace<double> trace;
  auto d = evaluate<double>(m.func(), interp::randomParams<double>(m.func(), 1),
                            interp::randomInputs<double>(m.func(), 2), {},
                            &trace);
  ASSERT_TRUE(mlir::succeeded(d)) << diags.text();
  EXPECT_EQ((*d)[0].shape, (std::vector<int64_t>{2, 3}));
  bool sawPool = false;
  for (auto &[op, t] : trace.values)
    sawPool |= mlir::isa<nn::MaxPool2dOp>(op);
  EXPECT_TRUE(sawPool);

  auto f = evaluate<float>(m.func(), interp::randomParams<float>(m.func(), 1),
                           interp::randomInputs<float>(m.func(), 2));
  ASSERT_TRUE(mlir::succeeded(f)) << diags.text();
  EXPECT_LE(maxAbsDiff((*f)[0], (*d)[0]), 1e-3);

  uint64_t bound = 0;
  auto g = evaluate<GF61>(m.func(), interp::randomParams<GF61>(m.func(), 1),
                          interp::randomInputs<GF61>(m.func(), 2), {}, nullptr,
                          &bound);
  ASSERT_TRUE(mlir::succeeded(g)) << diags.text();
  EXPECT_GT(bound, 0u);
}

} // namespace
