//===- FormsTest.cpp - the aggregate equals forms (a), (b), (c) -----------===//
//
// The interpreter as the equivalence oracle: with the aggregate's per-path
// parameters (randomParams) mapped to each form, the forms agree to rounding
// in double and exactly over GF(2^61-1); deliberate mistakes do not.
//
//===----------------------------------------------------------------------===//
#include "BlockForms.h"

#include "interp/Interpreter.h"

#include <iostream>
#include <set>

using namespace cardinal;
using namespace cardinal::testing;
using interp::evaluate;

namespace {

/// Evaluates `form` of the block with the aggregate's parameters mapped.
template <typename T>
HostTensor<T> runForm(const BlockConfig &c, Form form, const TensorMap<T> &p,
                      const TensorMap<T> &in,
                      std::vector<int64_t> bnOrder = {}) {
  Module m = blockModule(c, form);
  EXPECT_TRUE(m) << "form did not parse";
  if (!m)
    return {};
  DiagnosticCapture diags(m.context.get());
  auto r = evaluate<T>(m.func(), mapParams(p, c, form, std::move(bnOrder)), in);
  EXPECT_TRUE(mlir::succeeded(r)) << diags.text();
  return mlir::succeeded(r) ? (*r)[0] : HostTensor<T>();
}

/// The aggregate form's random parameters and inputs.
template <typename T> struct Fixture {
  TensorMap<T> params, inputs;
  HostTensor<T> reference; // the aggregate's output
  explicit Fixture(const BlockConfig &c, uint64_t seed = 1) {
    Module m = blockModule(c, Form::Aggregate);
    params = interp::randomParams<T>(m.func(), seed);
    inputs = interp::randomInputs<T>(m.func(), seed + 1);
    reference = runForm(c, Form::Aggregate, params, inputs);
  }
};

std::vector<BlockConfig> configs() {
  BlockConfig evalStride1; // identity shortcut, BN in eval mode
  BlockConfig trainStride2;
  trainStride2.training = true;
  trainStride2.stride = 2;
  trainStride2.width = 16; // projection shortcut
  BlockConfig evalStride2 = trainStride2;
  evalStride2.training = false;
  return {evalStride1, trainStride2, evalStride2};
}

std::string describe(const BlockConfig &c) {
  return std::string(c.training ? "train" : "eval") + " stride " +
         std::to_string(c.stride) + " C=" + std::to_string(c.C);
}

TEST(FormsTest, RandomParamsNameEveryPathParameterOfFormA) {
  BlockConfig c;
  Module agg = blockModule(c, Form::Aggregate), a = blockModule(c, Form::A);
  std::set<std::string> formANames;
  a.module->walk([&](mlir::Operation *op) {
    if (auto p = mlir::dyn_cast<nn::ParamOp>(op))
      formANames.insert(p.getName().str());
    if (auto s = mlir::dyn_cast<nn::StateOp>(op))
      formANames.insert(s.getName().str());
  });
  TensorMap<double> pa = interp::randomParams<double>(agg.func(), 3);
  std::set<std::string> aggNames;
  for (const auto &[name, t] : pa)
    aggNames.insert(name);
  EXPECT_EQ(aggNames, formANames);
  EXPECT_TRUE(aggNames.count("blk.path3.conv2.weight"));
  EXPECT_TRUE(aggNames.count("blk.path0.bn1.running_var"));
  // Values depend on the name, not on the function: both forms agree.
  EXPECT_EQ(pa, interp::randomParams<double>(a.func(), 3));
  EXPECT_NE(pa, interp::randomParams<double>(a.func(), 4));
}

TEST(FormsTest, FormAEqualsAggregate) {
  for (const BlockConfig &c : configs()) {
    SCOPED_TRACE(describe(c));
    Fixture<double> f(c);
    HostTensor<double> a = runForm(c, Form::A, f.params, f.inputs);
    EXPECT_LE(maxAbsDiff(a, f.reference), 1e-12);
    Fixture<GF61> g(c);
    EXPECT_EQ(runForm(c, Form::A, g.params, g.inputs), g.reference);
  }
}

TEST(FormsTest, FormBEqualsAggregate) {
  for (const BlockConfig &c : configs()) {
    SCOPED_TRACE(describe(c));
    Fixture<double> f(c);
    EXPECT_LE(maxAbsDiff(runForm(c, Form::B, f.params, f.inputs), f.reference),
              1e-10);
    Fixture<GF61> g(c);
    EXPECT_EQ(runForm(c, Form::B, g.params, g.inputs), g.reference);
  }
}

TEST(FormsTest, FormCEqualsAggregate) {
  for (const BlockConfig &c : configs()) {
    SCOPED_TRACE(describe(c));
    Fixture<double> f(c);
    HostTensor<double> formC = runForm(c, Form::C, f.params, f.inputs);
    double delta = maxAbsDiff(formC, f.reference);
    EXPECT_LE(delta, 1e-10);
    std::cout << "  (c) vs aggregate, " << describe(c)
              << ": float64 max|delta| " << delta << "\n";
    Fixture<GF61> g(c);
    EXPECT_EQ(runForm(c, Form::C, g.params, g.inputs), g.reference);
  }
}

TEST(FormsTest, FloatAgreesWithDoubleToSinglePrecision) {
  BlockConfig c = configs()[1];
  Fixture<double> d(c);
  Fixture<float> f(c);
  ASSERT_EQ(f.reference.shape, d.reference.shape);
  for (int64_t i = 0; i < d.reference.numel(); ++i)
    ASSERT_NEAR(f.reference.data[i], d.reference.data[i], 1e-4);
}

TEST(FormsTest, GFOutputDependsOnTheKey) {
  BlockConfig c;
  Fixture<GF61> g(c);
  Module m = blockModule(c, Form::Aggregate);
  interp::EvalOptions other;
  other.gfKey = 12345;
  auto r = evaluate<GF61>(m.func(), g.params, g.inputs, other);
  ASSERT_TRUE(mlir::succeeded(r));
  EXPECT_NE((*r)[0], g.reference);
}

//===----------------------------------------------------------------------===//
// Mistakes the exact check catches.
//===----------------------------------------------------------------------===//

TEST(FormsTest, GFCatchesBatchNormMovedIntoThePaths) {
  for (const BlockConfig &c : configs()) {
    SCOPED_TRACE(describe(c));
    Fixture<GF61> g(c);
    EXPECT_NE(runForm(c, Form::BnInsidePaths, g.params, g.inputs),
              g.reference);
  }
}

TEST(FormsTest, GFCatchesPermutedConcatOrder) {
  for (const BlockConfig &c : configs()) {
    SCOPED_TRACE(describe(c));
    Fixture<GF61> g(c);
    EXPECT_NE(runForm(c, Form::BPermutedConcat, g.params, g.inputs),
              g.reference);
  }
}

TEST(FormsTest, GFCatchesBatchNormParametersConcatenatedOutOfOrder) {
  for (const BlockConfig &c : configs()) {
    SCOPED_TRACE(describe(c));
    Fixture<GF61> g(c);
    EXPECT_NE(runForm(c, Form::C, g.params, g.inputs, {1, 0, 2, 3}),
              g.reference);
  }
}

// Control for the negative tests: when paths 0 and 1 have identical
// parameters, swapping them is a true equivalence, and GF must agree.
TEST(FormsTest, GFAgreesWhenThePermutationIsInvisible) {
  BlockConfig c;
  Fixture<GF61> g(c);
  // Paths 0 and 1 identical: swapping them changes nothing.
  TensorMap<GF61> p = g.params;
  for (const auto &[name, t] : g.params)
    if (name.find(".path0.") != std::string::npos) {
      std::string other = name;
      other.replace(other.find(".path0."), 7, ".path1.");
      p[other] = t;
    }
  HostTensor<GF61> ref = runForm(c, Form::Aggregate, p, g.inputs);
  EXPECT_EQ(runForm(c, Form::BPermutedConcat, p, g.inputs), ref);
  EXPECT_EQ(runForm(c, Form::C, p, g.inputs, {1, 0, 2, 3}), ref);
}

} // namespace
