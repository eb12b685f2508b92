//===- NegativeTest.cpp - near-miss forms must be rejected ----------------===//
//
// Each wrong graph differs from a correct one in exactly the way a careless
// rewrite would (DESIGN §4's anchors shipped such rules); the checker must
// say "not equivalent" and give a counterexample: the first differing value
// and the op where the graphs diverge. Parameters correspond by name.
//
//===----------------------------------------------------------------------===//
#include "TestModule.h"

#include "proof/EquivCheck.h"

#include <algorithm>
#include <numeric>

using namespace cardinal;
using cardinal::dsl::Graph;
using cardinal::dsl::Tensor;
using cardinal::testing::buildModule;
using cardinal::testing::ParsedModel;

namespace {

constexpr int64_t C = 4, d = 2, w = 8;

mlir::func::FuncOp fn(ParsedModel &p) {
  return *p.module->getOps<mlir::func::FuncOp>().begin();
}

// The first layers of path i (1x1 -> BN -> ReLU -> 3x3 -> BN -> ReLU).
Tensor pathFront(Graph &g, Tensor x, int64_t i) {
  auto s = g.scope("path" + std::to_string(i));
  Tensor t = g.relu(g.bn("bn1", g.conv("conv1", x, d, 1)));
  return g.relu(g.bn("bn2", g.conv("conv2", t, d, 3)));
}

Tensor pathConv3(Graph &g, Tensor t, int64_t i) {
  auto s = g.scope("path" + std::to_string(i));
  return g.conv("conv3", t, w, 1);
}

// Form (a) by hand; `bnPerPath` applies BN3 (same parameters) to each path
// before the sum instead of once after it.
ParsedModel formA(bool bnPerPath) {
  return buildModule("a", [&](Graph &g) {
    Tensor x = g.input("x", {2, w, 5, 5});
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    Tensor sum;
    for (int64_t i = 0; i < C; ++i) {
      Tensor y = pathConv3(g, pathFront(g, x, i), i);
      if (bnPerPath)
        y = g.bn("bn3", y);
      sum = i ? g.add(sum, y) : y;
    }
    Tensor out = bnPerPath ? sum : g.bn("bn3", sum);
    g.output({g.relu(g.add(out, x))});
  });
}

// The aggregate block; `reluBeforeAdd` puts a ReLU between BN3 and the
// shortcut addition.
ParsedModel aggregateBlock(bool reluBeforeAdd) {
  return buildModule("agg", [&](Graph &g) {
    Tensor x = g.input("x", {2, w, 5, 5});
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    Tensor sum = g.aggregate(x, C, [&](Tensor in) {
      Tensor t = g.relu(g.bn("bn1", g.conv("conv1", in, d, 1)));
      t = g.relu(g.bn("bn2", g.conv("conv2", t, d, 3)));
      return g.conv("conv3", t, w, 1);
    });
    Tensor y = g.bn("bn3", sum);
    if (reluBeforeAdd)
      y = g.relu(y);
    g.output({g.relu(g.add(y, x))});
  });
}

// Form (c) by hand with `groups` groups in the 3x3 conv (C is right).
ParsedModel formC(int64_t groups) {
  return buildModule("c", [&](Graph &g) {
    Tensor x = g.input("x", {2, w, 5, 5});
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    Tensor t = g.relu(g.bn("bn1", g.conv("conv1", x, C * d, 1)));
    t = g.relu(g.bn("bn2", g.conv("conv2", t, C * d, 3, 1, groups)));
    g.output({g.bn("bn3", g.conv("conv3", t, w, 1))});
  });
}

// Form (b) by hand; the concatenation takes the paths in `order`.
ParsedModel formB(const std::vector<int64_t> &order) {
  return buildModule("b", [&](Graph &g) {
    Tensor x = g.input("x", {2, w, 5, 5});
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    std::vector<Tensor> paths(C);
    for (int64_t i = 0; i < C; ++i)
      paths[i] = pathFront(g, x, i);
    std::vector<Tensor> ordered;
    for (int64_t i : order)
      ordered.push_back(paths[i]);
    g.output({g.bn("bn3", g.conv("conv3", g.concat(ordered), w, 1))});
  });
}

void expectCounterexample(ParsedModel &good, ParsedModel &bad,
                          const char *what) {
  ASSERT_TRUE(good && bad) << what;
  proof::ExactVerdict v = proof::checkGraphs(fn(good), fn(bad));
  ASSERT_TRUE(v.ran) << what << ": " << v.detail;
  EXPECT_FALSE(v.equivalent) << what << " was accepted";
  EXPECT_NE(v.detail.find("first differing value"), std::string::npos)
      << v.detail;
  EXPECT_NE(v.detail.find("diverge"), std::string::npos) << v.detail;
  // And the correct graph is equivalent to itself (the check can pass).
  proof::ExactVerdict same = proof::checkGraphs(fn(good), fn(good));
  EXPECT_TRUE(same.equivalent) << what << ": " << same.detail;
}

} // namespace

TEST(NegativeTest, BnPerPathBeforeTheSumIsRejected) {
  ParsedModel good = formA(false), bad = formA(true);
  expectCounterexample(good, bad, "BN per path before the sum");
}

TEST(NegativeTest, ReluBetweenSumAndShortcutIsRejected) {
  ParsedModel good = aggregateBlock(false), bad = aggregateBlock(true);
  expectCounterexample(good, bad, "ReLU before the shortcut add");
}

TEST(NegativeTest, GroupCountOtherThanCardinalityIsRejected) {
  ParsedModel good = formC(C), bad = formC(C / 2);
  expectCounterexample(good, bad, "groups = C/2");
}

TEST(NegativeTest, PermutedConcatIsRejected) {
  std::vector<int64_t> order(C);
  std::iota(order.begin(), order.end(), 0);
  ParsedModel good = formB(order);
  std::swap(order[1], order[2]);
  ParsedModel bad = formB(order);
  expectCounterexample(good, bad, "channel permutation in the concat");
}

// The hand-written forms that are right agree with the aggregate: form (a)
// by hand and the aggregate read the same per-path names.
TEST(NegativeTest, HandWrittenFormAEqualsTheAggregate) {
  ParsedModel a = formA(false), agg = aggregateBlock(false);
  proof::ExactVerdict v = proof::checkGraphs(fn(a), fn(agg));
  ASSERT_TRUE(v.ran) << v.detail;
  EXPECT_TRUE(v.equivalent) << v.detail;
}
