//===- DSLTest.cpp - the model DSL: errors, scopes, emitted nn text --------===//
#include "TestModule.h"

#include "models/ResNeXt.h"

#include <set>

using namespace cardinal;
using cardinal::dsl::Graph;
using cardinal::dsl::ModelError;
using cardinal::dsl::Tensor;
using cardinal::testing::buildZooModel;
using cardinal::testing::parseModule;
using cardinal::testing::ParsedModel;

namespace {

// Runs `f`, expects a ModelError and returns its message.
template <typename F> std::string modelErrorOf(F &&f) {
  try {
    f();
  } catch (const ModelError &e) {
    return e.what();
  } catch (const std::exception &e) {
    ADD_FAILURE() << "expected ModelError, got another exception: "
                  << e.what();
    return "";
  }
  ADD_FAILURE() << "expected ModelError, nothing was thrown";
  return "";
}

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)            \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

std::set<std::string> paramNames(const ParsedModel &p) {
  std::set<std::string> names;
  p.module.get().walk([&](nn::ParamOp op) { names.insert(op.getName().str()); });
  return names;
}

//===----------------------------------------------------------------------===//
// Errors name the model and the scoped op.
//===----------------------------------------------------------------------===//

TEST(DSLTest, AddShapeMismatchNamesModelAndScopedOp) {
  Graph g("mismatch");
  Tensor x = g.input("x", {1, 8, 16, 16});
  auto s2 = g.scope("stage2");
  auto b0 = g.scope("block0");
  Tensor y = g.conv("conv1", x, 16, 3);
  std::string msg = modelErrorOf([&] { g.add(x, y); });
  EXPECT_CONTAINS(msg, "model 'mismatch'");
  EXPECT_CONTAINS(msg, "stage2.block0.add");
  EXPECT_CONTAINS(msg, "operand 'lhs' has shape [1, 8, 16, 16]");
  EXPECT_CONTAINS(msg, "'rhs' has shape [1, 16, 16, 16]");
}

TEST(DSLTest, ConvGroupsNotDividingChannelsNamesScopedConv) {
  Graph g("grouped");
  Tensor x = g.input("x", {1, 6, 8, 8});
  auto s2 = g.scope("stage2");
  auto b0 = g.scope("block0");
  std::string msg = modelErrorOf([&] { g.conv("conv1", x, 8, 3, 1, 4); });
  EXPECT_CONTAINS(msg, "model 'grouped'");
  EXPECT_CONTAINS(msg, "stage2.block0.conv1:");
  EXPECT_CONTAINS(msg, "input channels (6)");
  EXPECT_CONTAINS(msg, "divisible by groups (4)");
}

TEST(DSLTest, ConvOutputChannelsNotDividingGroups) {
  Graph g("grouped_out");
  Tensor x = g.input("x", {1, 8, 8, 8});
  auto s = g.scope("stage3");
  std::string msg = modelErrorOf([&] { g.conv("conv2", x, 6, 3, 1, 4); });
  EXPECT_CONTAINS(msg, "stage3.conv2");
  EXPECT_CONTAINS(msg, "dim 0 of 'weight' = 6");
}

TEST(DSLTest, ConvThatWouldBeEmptyThrows) {
  Graph g("tiny");
  Tensor x = g.input("x", {1, 3, 2, 2});
  std::string msg = modelErrorOf([&] { g.conv("conv", x, 8, 7, 1, 1, 0); });
  EXPECT_CONTAINS(msg, "model 'tiny': conv:");
  EXPECT_CONTAINS(msg, "output height would be empty");
}

TEST(DSLTest, LinearOn4DTensorThrows) {
  Graph g("fc4d");
  Tensor x = g.input("x", {2, 8, 4, 4});
  auto h = g.scope("head");
  std::string msg = modelErrorOf([&] { g.linear("fc", x, 10); });
  EXPECT_CONTAINS(msg, "model 'fc4d'");
  EXPECT_CONTAINS(msg, "head.fc");
  EXPECT_CONTAINS(msg, "[2, 8, 4, 4]");
}

TEST(DSLTest, OtherShapeErrorsThrow) {
  Graph g("misc");
  Tensor x = g.input("x", {1, 8, 4, 4});
  Tensor y = g.input("y", {1, 8, 5, 4});
  auto s = g.scope("stage2");
  EXPECT_CONTAINS(modelErrorOf([&] { g.concat({x, y}); }), "stage2.concat");
  EXPECT_CONTAINS(modelErrorOf([&] { g.slice(x, 1, 6, 4); }), "stage2.slice");
  EXPECT_CONTAINS(modelErrorOf([&] { g.maxPool(x, 3, 2, 2); }),
                  "stage2.maxpool");
  Tensor flat = g.globalAvgPool(x);
  EXPECT_CONTAINS(modelErrorOf([&] { g.globalAvgPool(flat); }),
                  "stage2.avgpool");
  Tensor logits = g.linear("fc", flat, 10);
  Tensor labels = g.labels("labels", 3);
  EXPECT_CONTAINS(modelErrorOf([&] { g.softmaxCrossEntropy(logits, labels); }),
                  "stage2.loss");
  EXPECT_CONTAINS(modelErrorOf([&] { g.input("bad", {1, 0, 4, 4}); }),
                  "positive");
  EXPECT_CONTAINS(modelErrorOf([&] { Tensor().shape(); }), "empty Tensor");
}

TEST(DSLTest, ErrorInsideAggregatePathNamesTheLayer) {
  Graph g("inpath");
  Tensor x = g.input("x", {1, 6, 8, 8});
  auto s2 = g.scope("stage2");
  auto b0 = g.scope("block0");
  std::string msg = modelErrorOf([&] {
    g.aggregate(x, 4, [&](Tensor in) { return g.conv("conv2", in, 8, 3, 1, 4); });
  });
  EXPECT_CONTAINS(msg, "model 'inpath'");
  EXPECT_CONTAINS(msg, "stage2.block0.conv2");
}

//===----------------------------------------------------------------------===//
// Scopes.
//===----------------------------------------------------------------------===//

TEST(DSLTest, ScopesNestAndPop) {
  Graph g("scopes");
  EXPECT_EQ(g.scopeName(), "");
  {
    auto s2 = g.scope("stage2");
    EXPECT_EQ(g.scopeName(), "stage2");
    {
      auto b0 = g.scope("block0");
      EXPECT_EQ(g.scopeName(), "stage2.block0");
      {
        auto moved = std::move(b0); // the moved-from scope pops nothing
        EXPECT_EQ(g.scopeName(), "stage2.block0");
      }
      EXPECT_EQ(g.scopeName(), "stage2");
    }
    EXPECT_EQ(g.scopeName(), "stage2");
    auto b1 = g.scope("block1");
    EXPECT_EQ(g.scopeName(), "stage2.block1");
  }
  EXPECT_EQ(g.scopeName(), "");
}

TEST(DSLTest, BadScopeNamesThrow) {
  Graph g("badscope");
  EXPECT_CONTAINS(modelErrorOf([&] { auto s = g.scope("a.b"); }), "'.'");
  EXPECT_CONTAINS(modelErrorOf([&] { auto s = g.scope(""); }), "non-empty");
  EXPECT_EQ(g.scopeName(), "");
}

TEST(DSLTest, ParamNamesAreScoped) {
  ParsedModel p = cardinal::testing::buildModule("named", [](Graph &g) {
    Tensor x = g.input("x", {1, 16, 8, 8});
    {
      auto s2 = g.scope("stage2");
      {
        auto b0 = g.scope("block0");
        x = g.relu(g.bn("bn1", g.conv("conv1", x, 16, 1)));
      }
      x = g.conv("after", x, 16, 1); // block0 popped
    }
    auto h = g.scope("head");
    g.output({g.linear("fc", g.globalAvgPool(x), 10)});
  });
  ASSERT_TRUE(p);
  std::set<std::string> names = paramNames(p);
  EXPECT_EQ(names, (std::set<std::string>{
                       "stage2.block0.conv1.weight", "stage2.block0.bn1.scale",
                       "stage2.block0.bn1.shift", "stage2.after.weight",
                       "head.fc.weight", "head.fc.bias"}));
  std::set<std::string> states;
  p.module.get().walk([&](nn::StateOp op) { states.insert(op.getName().str()); });
  EXPECT_EQ(states, (std::set<std::string>{"stage2.block0.bn1.running_mean",
                                           "stage2.block0.bn1.running_var"}));
}

TEST(DSLTest, ZooParamNamesAreScoped) {
  ParsedModel p = buildZooModel("resnext50_32x4d");
  ASSERT_TRUE(p);
  std::set<std::string> names = paramNames(p);
  for (const char *n :
       {"stem.conv.weight", "stem.bn.scale", "stage2.block0.conv1.weight",
        "stage2.block0.conv2.weight", "stage2.block0.conv3.weight",
        "stage2.block0.bn3.shift", "stage2.block0.shortcut.conv.weight",
        "stage5.block2.conv3.weight", "head.fc.weight", "head.fc.bias"})
    EXPECT_TRUE(names.count(n)) << n;
  // Projection shortcuts only where the shape changes: block0 of each stage.
  EXPECT_FALSE(names.count("stage2.block1.shortcut.conv.weight"));
  EXPECT_TRUE(names.count("stage3.block0.shortcut.conv.weight"));
}

//===----------------------------------------------------------------------===//
// Aggregate, output, emitted text.
//===----------------------------------------------------------------------===//

TEST(DSLTest, AggregateWithCardinalityZeroThrows) {
  Graph g("card0");
  Tensor x = g.input("x", {1, 8, 4, 4});
  auto s = g.scope("stage2");
  bool called = false;
  auto path = [&](Tensor in) {
    called = true;
    return in;
  };
  std::string msg = modelErrorOf([&] { g.aggregate(x, 0, path); });
  EXPECT_CONTAINS(msg, "model 'card0'");
  EXPECT_CONTAINS(msg, "stage2.aggregate");
  EXPECT_CONTAINS(msg, "cardinality must be >= 1, got 0");
  EXPECT_CONTAINS(modelErrorOf([&] { g.aggregate(x, -3, path); }), "got -3");
  EXPECT_FALSE(called);
}

TEST(DSLTest, AggregatePathMustUseItsOwnInput) {
  Graph g("leak");
  Tensor x = g.input("x", {1, 8, 4, 4});
  Tensor outside = g.relu(x);
  std::string msg =
      modelErrorOf([&] { g.aggregate(x, 2, [&](Tensor) { return outside; }); });
  EXPECT_CONTAINS(msg, "paths are isolated");
  EXPECT_CONTAINS(modelErrorOf([&] {
                    g.aggregate(x, 2, [&](Tensor) { return Tensor(); });
                  }),
                  "empty Tensor");
}

TEST(DSLTest, AggregateResultShapeFollowsThePath) {
  Graph g("aggshape");
  Tensor x = g.input("x", {2, 8, 16, 16});
  Tensor y = g.aggregate(x, 4, [&](Tensor in) {
    return g.conv("conv", in, 32, 3, 2);
  });
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 32, 8, 8}));
  EXPECT_EQ(y.channels(), 32);
}

TEST(DSLTest, ToMLIRWithoutOutputThrows) {
  Graph g("nooutput");
  Tensor x = g.input("x", {1, 4, 4, 4});
  g.relu(x);
  std::string msg = modelErrorOf([&] { g.toMLIR(); });
  EXPECT_CONTAINS(msg, "model 'nooutput'");
  EXPECT_CONTAINS(msg, "output()");
}

TEST(DSLTest, OutputTwiceOrEmptyThrows) {
  Graph g("twice");
  Tensor x = g.input("x", {1, 4, 4, 4});
  EXPECT_CONTAINS(modelErrorOf([&] { g.output({}); }), "at least one result");
  g.output({x});
  EXPECT_CONTAINS(modelErrorOf([&] { g.output({x}); }), "only once");
}

TEST(DSLTest, SmallModelTextParsesVerifiesAndHasAggregate) {
  Graph g("small");
  Tensor x = g.input("image", {2, 3, 16, 16});
  {
    auto s = g.scope("stem");
    x = g.relu(g.bn("bn", g.conv("conv", x, 16, 3)));
  }
  {
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    x = models::resnextBlock(g, x, 4, 4, 32, 2);
    EXPECT_EQ(x.shape(), (std::vector<int64_t>{2, 32, 8, 8}));
  }
  auto h = g.scope("head");
  Tensor logits = g.linear("fc", g.globalAvgPool(x), 10);
  Tensor loss = g.softmaxCrossEntropy(logits, g.labels("labels", 2));
  g.output({logits, loss});
  std::string text = g.toMLIR();

  EXPECT_CONTAINS(text, "func.func @small");
  EXPECT_CONTAINS(text, "nn.aggregate");
  EXPECT_CONTAINS(text, "cardinality 4");
  EXPECT_CONTAINS(text, "nn.yield");
  EXPECT_CONTAINS(text, "\"stage2.block0.conv1.weight\"");

  ParsedModel p = parseModule(text);
  ASSERT_TRUE(p) << text;
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*p.module)));
  int aggregates = 0;
  p.module.get().walk([&](nn::AggregateOp op) {
    ++aggregates;
    EXPECT_EQ(op.getCardinality(), 4u);
    auto result = mlir::cast<mlir::RankedTensorType>(op.getType());
    EXPECT_EQ(result.getShape()[1], 32);
  });
  EXPECT_EQ(aggregates, 1);
  auto func = *p.module->getOps<mlir::func::FuncOp>().begin();
  EXPECT_EQ(func.getName(), "small");
  EXPECT_EQ(func.getFunctionType().getNumResults(), 2u);
  // Round trip: printing the parsed module (with locations, as toMLIR does)
  // gives the same text.
  std::string again;
  llvm::raw_string_ostream os(again);
  p.module->print(os, mlir::OpPrintingFlags().enableDebugInfo(
                          /*enable=*/true, /*prettyForm=*/false));
  EXPECT_EQ(again, text);
}

TEST(DSLTest, OpLocationsCarryScopedNames) {
  ParsedModel p = cardinal::testing::buildModule("locs", [](Graph &g) {
    Tensor x = g.input("x", {1, 8, 8, 8});
    auto s2 = g.scope("stage2");
    auto b0 = g.scope("block0");
    Tensor y = g.aggregate(x, 2, [&](Tensor in) {
      return g.conv("conv1", in, 8, 3);
    });
    g.output({g.relu(g.bn("bn3", y))});
  });
  ASSERT_TRUE(p);
  std::set<std::string> convs, bns;
  p.module.get().walk([&](mlir::Operation *op) {
    auto loc = mlir::dyn_cast<mlir::NameLoc>(op->getLoc());
    std::string name = loc ? loc.getName().str() : "<no name>";
    if (mlir::isa<nn::Conv2dOp>(op))
      convs.insert(name);
    if (mlir::isa<nn::BatchNormOp>(op))
      bns.insert(name);
  });
  EXPECT_EQ(convs, (std::set<std::string>{"stage2.block0.conv1"}));
  EXPECT_EQ(bns, (std::set<std::string>{"stage2.block0.bn3"}));
}

TEST(DSLTest, EveryZooModelParsesAndVerifies) {
  std::set<std::string> names;
  for (const models::ZooEntry &e : models::zoo()) {
    SCOPED_TRACE(e.name);
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate " << e.name;
    EXPECT_FALSE(e.description.empty());
    EXPECT_EQ(models::findModel(e.name), &e);
    ParsedModel p = buildZooModel(e.name);
    ASSERT_TRUE(p);
    EXPECT_TRUE(mlir::succeeded(mlir::verify(*p.module)));
  }
  for (const char *n :
       {"resnext50_32x4d", "resnext101_32x4d", "resnext101_64x4d", "resnet50",
        "resnet101", "resnext50_1x64d", "resnext50_2x40d", "resnext50_4x24d",
        "resnext50_8x14d", "resnext29_8x64d", "resnext29_16x64d",
        "resnext_small", "resnext_block"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_EQ(models::findModel("no_such_model"), nullptr);
}

} // namespace
