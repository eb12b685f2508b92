//===- StatsTest.cpp - ModelStats on the zoo vs the paper's figures --------===//
//
// Every number here is computed by the code under test (DSL -> text -> parse
// -> computeModelStats) and compared with DESIGN §2 / the paper (Table 1,
// Table 2, Eq. 4, Sec. 5). Conventions: conv bias-free, BN affine (scale and
// shift count, running statistics do not), fc with bias; mult-adds of conv and
// fc per image.
//
//===----------------------------------------------------------------------===//
#include "TestModule.h"

#include "models/ResNeXt.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <cstdio>

using namespace cardinal;
using cardinal::testing::buildModule;
using cardinal::testing::buildZooModel;
using cardinal::testing::ParsedModel;
using cardinal::testing::statsOf;

namespace {

// Paths an op stands for: the product of the enclosing cardinalities.
int64_t multiplicity(mlir::Operation *op) {
  int64_t m = 1;
  for (auto agg = op->getParentOfType<nn::AggregateOp>(); agg;
       agg = agg->getParentOfType<nn::AggregateOp>())
    m *= agg.getCardinality();
  return m;
}

// Our own count of nn.param elements (times multiplicity) whose name passes
// `keep`; independent of ModelStats.
int64_t countParams(const ParsedModel &p,
                    const std::function<bool(llvm::StringRef)> &keep) {
  int64_t n = 0;
  p.module.get().walk([&](nn::ParamOp param) {
    if (keep(param.getName()))
      n += mlir::cast<mlir::RankedTensorType>(param.getType())
               .getNumElements() *
           multiplicity(param);
  });
  return n;
}

bool isConvWeight(llvm::StringRef name) {
  auto [layer, leaf] = name.rsplit('.');
  return leaf == "weight" && layer.rsplit('.').second.contains("conv");
}

bool isBNParam(llvm::StringRef name) {
  return name.ends_with(".scale") || name.ends_with(".shift");
}

const StageStats *findStage(const ModelStats &s, const std::string &name) {
  for (const StageStats &st : s.stages)
    if (st.name == name)
      return &st;
  return nullptr;
}

std::string oneDecimal(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

//===----------------------------------------------------------------------===//
// Whole-model figures (DESIGN §2), one ctest entry per model.
//===----------------------------------------------------------------------===//

struct Figures {
  const char *model;
  int64_t params;
  int64_t macs;
};

void PrintTo(const Figures &f, std::ostream *os) { *os << f.model; }

class WholeModelTest : public ::testing::TestWithParam<Figures> {};

TEST_P(WholeModelTest, ParamsAndMultAddsMatchReference) {
  const Figures &f = GetParam();
  ParsedModel p = buildZooModel(f.model);
  ASSERT_TRUE(p);
  ModelStats s = statsOf(p);
  EXPECT_EQ(s.model, f.model);
  EXPECT_EQ(s.params, f.params) << f.model << ": params";
  EXPECT_EQ(s.macs, f.macs) << f.model << ": mult-adds";
  // The total is the sum of the stage rows.
  int64_t params = 0, macs = 0;
  for (const StageStats &st : s.stages) {
    params += st.params;
    macs += st.macs;
  }
  EXPECT_EQ(params, s.params);
  EXPECT_EQ(macs, s.macs);
  // Cross-check the parameter count against a direct walk of nn.param.
  EXPECT_EQ(countParams(p, [](llvm::StringRef) { return true; }), s.params);
}

INSTANTIATE_TEST_SUITE_P(
    Stats, WholeModelTest,
    ::testing::Values(
        Figures{"resnext50_32x4d", 25028904, 4230479872},
        Figures{"resnet50", 25557032, 4089184256},
        Figures{"resnext101_32x4d", 44177704, 7969996800},
        Figures{"resnext101_64x4d", 83455272, 15460270080},
        Figures{"resnet101", 44549160, 7801405440},
        Figures{"resnext29_8x64d", 34426698, 5387266048},
        Figures{"resnext29_16x64d", 68155210, 10688866304}),
    [](const ::testing::TestParamInfo<Figures> &info) {
      return std::string(info.param.model);
    });

TEST(StatsTest, ResNeXt50RoundsToPaperFigures) {
  ModelStats s = statsOf(buildZooModel("resnext50_32x4d"));
  // Paper, Table 1 / Table 3: 25.0M params, 4.2 GFLOPs (mult-adds).
  EXPECT_EQ(oneDecimal(s.params / 1e6), "25.0");
  EXPECT_EQ(oneDecimal(s.macs / 1e9), "4.2");
  EXPECT_EQ(humanCount(s.params), "25.0M");
  EXPECT_EQ(humanCount(s.macs), "4.230G");
  EXPECT_EQ(withCommas(s.params), "25,028,904");
  std::string table = formatStatsTable(s);
  EXPECT_NE(table.find("# params 25028904 (25.0M), mult-adds 4230479872 "
                       "(4.23G)"),
            std::string::npos)
      << table;
  std::string json = formatStatsJson(s);
  EXPECT_NE(json.find("\"params\":25028904,\"macs\":4230479872"),
            std::string::npos)
      << json;
}

TEST(StatsTest, OtherModelsRoundToPaperFigures) {
  // ResNeXt-101 (32x4d): 44.2M, 8.0G; ResNet-50: 4.1G; ResNeXt-29 8x64d:
  // 34.4M. (The paper truncates ResNet-50's 25.56M to 25.5M and 16x64d's
  // 68.16M to 68.1M; the exact counts are asserted in WholeModelTest.)
  ModelStats r101 = statsOf(buildZooModel("resnext101_32x4d"));
  EXPECT_EQ(oneDecimal(r101.params / 1e6), "44.2");
  EXPECT_EQ(oneDecimal(r101.macs / 1e9), "8.0");
  ModelStats r50 = statsOf(buildZooModel("resnet50"));
  EXPECT_EQ(oneDecimal(r50.macs / 1e9), "4.1");
  ModelStats c29 = statsOf(buildZooModel("resnext29_8x64d"));
  EXPECT_EQ(oneDecimal(c29.params / 1e6), "34.4");
  EXPECT_EQ(c29.input, (std::vector<int64_t>{1, 3, 32, 32}));
}

TEST(StatsTest, HumanForms) {
  EXPECT_EQ(withCommas(0), "0");
  EXPECT_EQ(withCommas(999), "999");
  EXPECT_EQ(withCommas(1000), "1,000");
  EXPECT_EQ(withCommas(-1234567), "-1,234,567");
  EXPECT_EQ(humanCount(4230479872), "4.230G");
  EXPECT_EQ(humanCount(25028904), "25.0M");
  EXPECT_EQ(humanCount(70144), "70,144");
}

//===----------------------------------------------------------------------===//
// Table 1: the stage table of ResNeXt-50 (32x4d).
//===----------------------------------------------------------------------===//

TEST(StatsTest, ResNeXt50StageTable) {
  ModelStats s = statsOf(buildZooModel("resnext50_32x4d"));
  EXPECT_EQ(s.input, (std::vector<int64_t>{1, 3, 224, 224}));
  std::vector<std::string> names;
  for (const StageStats &st : s.stages)
    names.push_back(st.name);
  ASSERT_EQ(names, (std::vector<std::string>{"stem", "stage2", "stage3",
                                             "stage4", "stage5", "head"}));
  const std::vector<int64_t> blocks{0, 3, 4, 6, 3, 0};
  const std::vector<std::vector<int64_t>> outputs{
      {64, 56, 56},  {256, 56, 56}, {512, 28, 28},
      {1024, 14, 14}, {2048, 7, 7}, {1000}};
  const std::vector<std::string> templates{
      "7x7, 64, stride 2; 3x3 max pool, stride 2",
      "[1x1, 128; 3x3, 128, C=32; 1x1, 256]",
      "[1x1, 256; 3x3, 256, C=32; 1x1, 512]",
      "[1x1, 512; 3x3, 512, C=32; 1x1, 1024]",
      "[1x1, 1024; 3x3, 1024, C=32; 1x1, 2048]",
      "global avg pool; 1000-d fc"};
  for (size_t i = 0; i < s.stages.size(); ++i) {
    SCOPED_TRACE(s.stages[i].name);
    EXPECT_EQ(s.stages[i].blocks, blocks[i]);
    EXPECT_EQ(s.stages[i].output, outputs[i]);
    EXPECT_EQ(s.stages[i].blockTemplate, templates[i]);
    EXPECT_GT(s.stages[i].params, 0);
    EXPECT_GT(s.stages[i].macs, 0);
  }
  // The head: 2048-d -> 1000 fc with bias.
  EXPECT_EQ(s.stages.back().params, 2048 * 1000 + 1000);
  EXPECT_EQ(s.stages.back().macs, 2048 * 1000);
  // The stem: 7x7 conv 3->64 at 112x112, BN 64.
  EXPECT_EQ(s.stages.front().params, 64 * 3 * 7 * 7 + 2 * 64);
  EXPECT_EQ(s.stages.front().macs, int64_t(64) * 112 * 112 * 3 * 7 * 7);

  std::string table = formatStatsTable(s);
  EXPECT_NE(table.find("[1x1, 128; 3x3, 128, C=32; 1x1, 256]"),
            std::string::npos);
  EXPECT_NE(table.find("x3"), std::string::npos);
}

TEST(StatsTest, ResNet50StageTemplates) {
  ModelStats s = statsOf(buildZooModel("resnet50"));
  const StageStats *st2 = findStage(s, "stage2");
  const StageStats *st5 = findStage(s, "stage5");
  ASSERT_TRUE(st2 && st5);
  EXPECT_EQ(st2->blockTemplate, "[1x1, 64; 3x3, 64; 1x1, 256]");
  EXPECT_EQ(st5->blockTemplate, "[1x1, 512; 3x3, 512; 1x1, 2048]");
  EXPECT_EQ(st2->blocks, 3);
  EXPECT_EQ(st5->output, (std::vector<int64_t>{2048, 7, 7}));
}

TEST(StatsTest, ResNeXt101StageBlocks) {
  ModelStats s = statsOf(buildZooModel("resnext101_32x4d"));
  const StageStats *st4 = findStage(s, "stage4");
  ASSERT_TRUE(st4);
  EXPECT_EQ(st4->blocks, 23);
  EXPECT_EQ(st4->blockTemplate, "[1x1, 512; 3x3, 512, C=32; 1x1, 1024]");
  ModelStats s64 = statsOf(buildZooModel("resnext101_64x4d"));
  const StageStats *st2 = findStage(s64, "stage2");
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->blockTemplate, "[1x1, 256; 3x3, 256, C=64; 1x1, 256]");
}

TEST(StatsTest, ResNeXt29StageTable) {
  ModelStats s = statsOf(buildZooModel("resnext29_8x64d"));
  std::vector<std::string> names;
  for (const StageStats &st : s.stages)
    names.push_back(st.name);
  ASSERT_EQ(names, (std::vector<std::string>{"stem", "stage2", "stage3",
                                             "stage4", "head"}));
  EXPECT_EQ(s.stages[0].blockTemplate, "3x3, 64");
  EXPECT_EQ(s.stages[1].blockTemplate, "[1x1, 512; 3x3, 512, C=8; 1x1, 256]");
  EXPECT_EQ(s.stages[1].output, (std::vector<int64_t>{256, 32, 32}));
  EXPECT_EQ(s.stages[2].output, (std::vector<int64_t>{512, 16, 16}));
  EXPECT_EQ(s.stages[3].output, (std::vector<int64_t>{1024, 8, 8}));
  EXPECT_EQ(s.stages[4].output, (std::vector<int64_t>{10}));
  EXPECT_EQ(s.stages[4].params, 1024 * 10 + 10);
}

//===----------------------------------------------------------------------===//
// Table 2: equal complexity at depth 50.
//===----------------------------------------------------------------------===//

TEST(StatsTest, ResNet50EqualsResNeXt50With1x64d) {
  ParsedModel plain = buildZooModel("resnet50");
  ParsedModel agg = buildZooModel("resnext50_1x64d");
  ModelStats a = statsOf(plain), b = statsOf(agg);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.macs, b.macs);
  EXPECT_EQ(a.params, 25557032);
  ASSERT_EQ(a.stages.size(), b.stages.size());
  for (size_t i = 0; i < a.stages.size(); ++i) {
    SCOPED_TRACE(a.stages[i].name);
    EXPECT_EQ(a.stages[i].params, b.stages[i].params);
    EXPECT_EQ(a.stages[i].macs, b.stages[i].macs);
    EXPECT_EQ(a.stages[i].output, b.stages[i].output);
  }
  // Same numbers, different graphs: only the ResNeXt form uses nn.aggregate.
  int aggregatesPlain = 0, aggregatesC1 = 0;
  plain.module.get().walk([&](nn::AggregateOp) { ++aggregatesPlain; });
  agg.module.get().walk([&](nn::AggregateOp op) {
    ++aggregatesC1;
    EXPECT_EQ(op.getCardinality(), 1u);
  });
  EXPECT_EQ(aggregatesPlain, 0);
  EXPECT_EQ(aggregatesC1, 16);
}

struct BlockCase {
  int64_t C, d, convParams; // Eq. 4 with w = 256
};

void PrintTo(const BlockCase &c, std::ostream *os) {
  *os << c.C << "x" << c.d << "d";
}

class Table2BlockTest : public ::testing::TestWithParam<BlockCase> {};

// A conv2-stage block (w = 256 in and out, stride 1, 56x56), built with
// models::resnextBlock through the DSL.
ParsedModel conv2Block(int64_t C, int64_t d) {
  return buildModule("block", [&](dsl::Graph &g) {
    dsl::Tensor x = g.input("x", {1, 256, 56, 56});
    auto s = g.scope("block");
    g.output({models::resnextBlock(g, x, C, d, 256, 1)});
  });
}

TEST_P(Table2BlockTest, ConvParamsFollowEq4) {
  const BlockCase &c = GetParam();
  const int64_t w = 256;
  ASSERT_EQ(c.C * (w * c.d + 9 * c.d * c.d + c.d * w), c.convParams)
      << "test table vs Eq. 4";
  ParsedModel p = conv2Block(c.C, c.d);
  ASSERT_TRUE(p);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*p.module)));
  ModelStats s = statsOf(p);

  // BN: bn1, bn2 per path (d channels each), bn3 after the sum (w channels);
  // scale + shift each. No projection shortcut (shape is unchanged).
  const int64_t bnParams = 2 * (2 * c.C * c.d + w);
  EXPECT_EQ(countParams(p, isBNParam), bnParams);
  EXPECT_EQ(countParams(p, isConvWeight), c.convParams);
  EXPECT_EQ(s.params - bnParams, c.convParams);
  EXPECT_EQ(countParams(p, [](llvm::StringRef n) {
              return n.contains("shortcut");
            }),
            0);
  // Every conv runs at 56x56 with stride 1: mult-adds = conv params * H * W.
  EXPECT_EQ(s.macs, c.convParams * 56 * 56);
}

INSTANTIATE_TEST_SUITE_P(
    Stats, Table2BlockTest,
    ::testing::Values(BlockCase{1, 64, 69632}, BlockCase{2, 40, 69760},
                      BlockCase{4, 24, 69888}, BlockCase{8, 14, 71456},
                      BlockCase{32, 4, 70144}),
    [](const ::testing::TestParamInfo<BlockCase> &info) {
      return std::to_string(info.param.C) + "x" +
             std::to_string(info.param.d) + "d";
    });

TEST(StatsTest, ZooResNeXtBlockIsTheConv2Block) {
  ParsedModel zoo = buildZooModel("resnext_block");
  ParsedModel own = conv2Block(32, 4);
  ModelStats a = statsOf(zoo), b = statsOf(own);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.macs, b.macs);
  EXPECT_EQ(countParams(zoo, isConvWeight), 70144);
  EXPECT_EQ(a.params, 70144 + 2 * (2 * 32 * 4 + 256));
  EXPECT_EQ(a.macs, 70144 * 56 * 56); // 219,971,584 (DESIGN §4's ~220M)
  EXPECT_EQ(a.input, (std::vector<int64_t>{1, 256, 56, 56}));
  int aggregates = 0;
  zoo.module.get().walk([&](nn::AggregateOp op) {
    ++aggregates;
    EXPECT_EQ(op.getCardinality(), 32u);
  });
  EXPECT_EQ(aggregates, 1);
}

TEST(StatsTest, Table2BlockOf8x14dIs2Point6PercentAboveResNet) {
  // Why "same complexity" is a 3% band, not 2% (DESIGN §2).
  ParsedModel r = conv2Block(1, 64), x = conv2Block(8, 14);
  double ratio = double(countParams(x, isConvWeight)) /
                 double(countParams(r, isConvWeight));
  EXPECT_NEAR(ratio, 1.026, 0.0005);
  EXPECT_GT(ratio, 1.02);
  EXPECT_LT(ratio, 1.03);
}

// Closed form of an ImageNet ResNeXt (Table 1 layout, stride in the 3x3 of
// each stage's first block, projection shortcuts there), written out here
// independently of the DSL and ModelStats: {params, mult-adds}.
std::pair<int64_t, int64_t> imagenetFormula(int64_t C, int64_t d,
                                            const std::vector<int> &blocks) {
  int64_t P = 64 * 3 * 7 * 7 + 2 * 64, M = int64_t(64) * 112 * 112 * 3 * 7 * 7;
  for (size_t s = 0; s < blocks.size(); ++s) {
    int64_t w = int64_t(256) << s, ds = d << s, b = C * ds, H = 56 >> s;
    for (int i = 0; i < blocks[s]; ++i) {
      int64_t cin = i ? w : (s ? w / 2 : 64);
      int64_t Hin = (i == 0 && s > 0) ? 2 * H : H;
      // conv1 (at the input resolution), grouped conv2, conv3, bn1..bn3.
      P += cin * b + 9 * b * ds + b * w + 4 * b + 2 * w;
      M += cin * b * Hin * Hin + 9 * b * ds * H * H + b * w * H * H;
      if (i == 0) { // projection shortcut
        P += cin * w + 2 * w;
        M += cin * w * H * H;
      }
    }
  }
  return {P + 2048 * 1000 + 1000, M + 2048 * 1000};
}

TEST(StatsTest, ImageNetModelsMatchClosedForm) {
  struct Case {
    const char *model;
    int64_t C, d;
    std::vector<int> blocks;
  };
  const std::vector<int> d50{3, 4, 6, 3}, d101{3, 4, 23, 3};
  for (const Case &c : std::vector<Case>{
           {"resnet50", 1, 64, d50},
           {"resnext50_1x64d", 1, 64, d50},
           {"resnext50_2x40d", 2, 40, d50},
           {"resnext50_4x24d", 4, 24, d50},
           {"resnext50_8x14d", 8, 14, d50},
           {"resnext50_32x4d", 32, 4, d50},
           {"resnet101", 1, 64, d101},
           {"resnext101_32x4d", 32, 4, d101},
           {"resnext101_64x4d", 64, 4, d101}}) {
    SCOPED_TRACE(c.model);
    ModelStats s = statsOf(buildZooModel(c.model));
    auto [params, macs] = imagenetFormula(c.C, c.d, c.blocks);
    EXPECT_EQ(s.params, params);
    EXPECT_EQ(s.macs, macs);
  }
}

TEST(StatsTest, Table2FamilyHasResNet50Complexity) {
  ModelStats ref = statsOf(buildZooModel("resnet50"));
  ASSERT_GT(ref.params, 0);
  for (const char *name : {"resnext50_1x64d", "resnext50_2x40d",
                           "resnext50_4x24d", "resnext50_8x14d",
                           "resnext50_32x4d"}) {
    SCOPED_TRACE(name);
    ModelStats s = statsOf(buildZooModel(name));
    double dp = std::fabs(double(s.params) / ref.params - 1.0);
    double dm = std::fabs(double(s.macs) / ref.macs - 1.0);
    // Parameters: the 3% band of DESIGN §2 holds for the whole network
    // (measured: 0, -0.5, -1.0, +0.2, -2.1%).
    EXPECT_LT(dp, 0.03) << name << " params " << s.params << " vs "
                        << ref.params;
    // Mult-adds: the band is wider. Eq. 4 keeps each block's *parameters*
    // equal, but the first block of stages 3-5 runs conv1 (w_in -> C*d) at
    // the pre-stride resolution, and C*d grows with C (128 vs 64 at conv2),
    // so the networks' mult-adds drift up: +0, +0.9, +1.7, +4.4, +3.5%. The
    // paper's own Table 1 (4.1 vs 4.2 GFLOPs; exact 4,089,184,256 vs
    // 4,230,479,872, asserted above) is 3.5% apart, so 3% cannot hold here.
    EXPECT_LT(dm, 0.045) << name << " mult-adds " << s.macs << " vs "
                         << ref.macs;
    // Same layout: stem, four stages of 3/4/6/3 blocks, head.
    ASSERT_EQ(s.stages.size(), 6u);
    EXPECT_EQ(s.stages[1].blocks, 3);
    EXPECT_EQ(s.stages[2].blocks, 4);
    EXPECT_EQ(s.stages[3].blocks, 6);
    EXPECT_EQ(s.stages[4].blocks, 3);
  }
}

//===----------------------------------------------------------------------===//
// Model options.
//===----------------------------------------------------------------------===//

TEST(StatsTest, ClassesOptionChangesOnlyTheFc) {
  ModelStats base = statsOf(buildZooModel("resnext29_8x64d"));
  dsl::ModelOptions o;
  o.classes = 100;
  ModelStats c100 = statsOf(buildZooModel("resnext29_8x64d", o));
  EXPECT_EQ(base.params, 34426698);
  EXPECT_EQ(c100.params - base.params, 90 * 1024 + 90);
  EXPECT_EQ(c100.macs - base.macs, 90 * 1024);
  ASSERT_EQ(base.stages.size(), c100.stages.size());
  for (size_t i = 0; i + 1 < base.stages.size(); ++i) {
    SCOPED_TRACE(base.stages[i].name);
    EXPECT_EQ(base.stages[i].params, c100.stages[i].params);
    EXPECT_EQ(base.stages[i].macs, c100.stages[i].macs);
  }
  EXPECT_EQ(c100.stages.back().name, "head");
  EXPECT_EQ(c100.stages.back().output, (std::vector<int64_t>{100}));
  EXPECT_EQ(c100.stages.back().blockTemplate, "global avg pool; 100-d fc");
}

TEST(StatsTest, ImageOptionScalesConvMultAddsOnly) {
  ModelStats base = statsOf(buildZooModel("resnext50_32x4d"));
  dsl::ModelOptions o;
  o.image = 448;
  ModelStats big = statsOf(buildZooModel("resnext50_32x4d", o));
  EXPECT_EQ(big.input, (std::vector<int64_t>{1, 3, 448, 448}));
  EXPECT_EQ(big.params, base.params);
  const int64_t fc = 2048 * 1000;
  EXPECT_EQ(big.macs - fc, 4 * (base.macs - fc));
  EXPECT_EQ(big.stages[4].output, (std::vector<int64_t>{2048, 14, 14}));
}

TEST(StatsTest, BatchOptionLeavesPerImageCountsUnchanged) {
  dsl::ModelOptions o;
  o.batch = 4;
  ModelStats s = statsOf(buildZooModel("resnext50_32x4d", o));
  EXPECT_EQ(s.input, (std::vector<int64_t>{4, 3, 224, 224}));
  EXPECT_EQ(s.params, 25028904);
  EXPECT_EQ(s.macs, 4230479872);
}

TEST(StatsTest, NoFunctionFails) {
  ParsedModel p = cardinal::testing::parseModule("module {}");
  ASSERT_TRUE(p);
  std::string diag;
  mlir::ScopedDiagnosticHandler handler(p.context.get(),
                                        [&](mlir::Diagnostic &d) {
                                          diag = d.str();
                                          return mlir::success();
                                        });
  EXPECT_TRUE(mlir::failed(computeModelStats(*p.module)));
  EXPECT_NE(diag.find("no model function"), std::string::npos) << diag;
}

} // namespace
