//===- ProofTest.cpp - rules, proofs and certificates ----------------------===//
#include "TestModule.h"

#include "models/ResNeXt.h"
#include "proof/Equiv.h"

#include "mlir/IR/Diagnostics.h"

using namespace cardinal;
using namespace cardinal::proof;
using cardinal::testing::buildModule;
using cardinal::testing::buildZooModel;
using cardinal::testing::ParsedModel;

namespace {

// One block y = Σ_i T_i(x) with the paper's template, as a module.
ParsedModel smallBlock(int64_t C, int64_t d, int64_t win, int64_t wout,
                       int64_t stride, int64_t hw = 6) {
  return buildModule("blk", [&](dsl::Graph &g) {
    dsl::Tensor x = g.input("x", {2, win, hw, hw});
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    g.output({models::resnextBlock(g, x, C, d, wout, stride)});
  });
}

nn::AggregateOp firstBlock(ParsedModel &p) {
  auto blocks = findBlocks(*p.module);
  EXPECT_FALSE(blocks.empty());
  return blocks.front();
}

// The map that carries a graph's parameters across one rule application:
// identity for what the rule kept, the rule's entries for what it created.
ParamMap stepMap(mlir::func::FuncOp after, const Step &step) {
  ParamMap m;
  std::set<std::string> created;
  for (const ParamMapEntry &e : step.params.entries) {
    m.entries.push_back(e);
    created.insert(e.target);
  }
  after.walk([&](mlir::Operation *op) {
    std::string name;
    if (auto p = mlir::dyn_cast<nn::ParamOp>(op))
      name = p.getName().str();
    else if (auto s = mlir::dyn_cast<nn::StateOp>(op))
      name = s.getName().str();
    else
      return;
    if (created.count(name))
      return;
    auto t = mlir::cast<mlir::RankedTensorType>(op->getResult(0).getType());
    std::vector<int64_t> shape(t.getShape().begin(), t.getShape().end());
    m.entries.push_back({name, shape, 0, {{name, 0, 0, shape[0]}}});
  });
  return m;
}

struct BlockCase {
  int64_t C, d, win, wout, stride;
};

const BlockCase kCases[] = {
    {2, 1, 4, 4, 1}, {3, 2, 4, 6, 2}, {4, 3, 6, 6, 1}, {4, 2, 5, 8, 2}};

} // namespace

// Every rule application on the way (a) -> (c) of randomized small blocks is
// checked exactly: the graph before and after the step compute the same
// function (GF(2^61-1), BN eval and train), with the step's parameter map.
TEST(ProofTest, EveryRuleStepIsExactlyEquivalent) {
  std::set<RuleId> exercised;
  for (const BlockCase &c : kCases) {
    ParsedModel p = smallBlock(c.C, c.d, c.win, c.wout, c.stride);
    ASSERT_TRUE(p);
    BlockForms forms = makeBlockForms(firstBlock(p));
    ASSERT_TRUE(forms.forms[0] && forms.forms[2]);
    mlir::OwningOpRef<mlir::ModuleOp> scratch = forms.forms[0]->clone();
    Certificate cert = prove(blockFunction(*scratch), blockFunction(*forms.forms[2]));
    ASSERT_TRUE(cert.proved()) << cert.final.mismatch;

    mlir::OwningOpRef<mlir::ModuleOp> current = forms.forms[0]->clone();
    for (const Step &s : cert.steps) {
      mlir::OwningOpRef<mlir::ModuleOp> before = current->clone();
      auto applied = applyRule(s.rule, opAt(blockFunction(*current), s.site));
      ASSERT_TRUE(mlir::succeeded(applied)) << ruleInfo(s.rule).name;
      ParamMap map = stepMap(blockFunction(*current), *applied);
      for (bool training : {false, true}) {
        mlir::OwningOpRef<mlir::ModuleOp> a = before->clone(), b = current->clone();
        if (training) {
          blockFunction(*a).walk([](nn::BatchNormOp bn) { bn.setTraining(true); });
          blockFunction(*b).walk([](nn::BatchNormOp bn) { bn.setTraining(true); });
        }
        ExactVerdict v = checkGraphs(blockFunction(*a), blockFunction(*b), &map);
        ASSERT_TRUE(v.ran) << v.detail;
        EXPECT_TRUE(v.equivalent) << ruleInfo(s.rule).name << " C=" << c.C
                                  << " d=" << c.d << ": " << v.detail;
        EXPECT_GT(v.degree, 0u);
        EXPECT_LT(v.errorBound, 1e-12);
      }
      exercised.insert(s.rule);
    }
  }
  EXPECT_EQ(exercised.size(), rules().size()) << "some rule never ran";
}

// Rules refuse sites where their identity does not hold.
TEST(ProofTest, RulesRejectNonMatchingSites) {
  ParsedModel p = smallBlock(2, 2, 4, 4, 1);
  BlockForms forms = makeBlockForms(firstBlock(p));
  mlir::func::FuncOp c = blockFunction(*forms.forms[2]);
  // Form (c) has no concat or add-of-convs: no rule applies anywhere.
  int64_t sites = 0;
  c.walk([&](mlir::Operation *op) {
    for (const RuleInfo &r : rules())
      EXPECT_TRUE(mlir::failed(applyRule(r.id, op))) << r.name;
    ++sites;
  });
  EXPECT_GT(sites, 10);
}

TEST(ProofTest, PaperBlockProofIsTheEightStepArgument) {
  ParsedModel p = buildZooModel("resnext_block");
  ASSERT_TRUE(p);
  EquivOptions o;
  std::vector<BlockReport> r = proveModel(*p.module, o);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].proofs.size(), 3u);
  EXPECT_EQ(r[0].proofs[0].certificate.steps.size(), 1u); // (a)->(b)
  EXPECT_EQ(r[0].proofs[1].certificate.steps.size(), 7u); // (b)->(c)
  EXPECT_EQ(r[0].proofs[2].certificate.steps.size(), 8u); // (a)->(c)
  EXPECT_TRUE(r[0].proved());
  EXPECT_EQ(r[0].forms.counts[0].convParams, 70144);     // Eq. 4
  EXPECT_EQ(r[0].forms.counts[2].convParams, 70144);
  EXPECT_EQ(r[0].forms.counts[0].macs, r[0].forms.counts[2].macs);
  EXPECT_TRUE(r[0].check.exactEval.equivalent) << r[0].check.exactEval.detail;
  EXPECT_TRUE(r[0].check.exactTrain.equivalent) << r[0].check.exactTrain.detail;
  EXPECT_GE(r[0].check.float64MaxAbs, 0);
  EXPECT_LT(r[0].check.float64MaxAbs, 1e-10);
  EXPECT_LT(r[0].check.float32MaxAbs, 1e-3);
}

// Every block of every zoo model, proved (a)->(b), (b)->(c), (a)->(c); the
// rewrites are equations, so each certificate read backwards proves the
// reverse direction.
TEST(ProofTest, EveryZooBlockIsProvedInEveryDirection) {
  for (const models::ZooEntry &e : models::zoo()) {
    ParsedModel p = buildZooModel(e.name);
    ASSERT_TRUE(p) << e.name;
    EquivOptions o;
    o.runChecks = false;
    std::vector<BlockReport> r = proveModel(*p.module, o);
    size_t expected = findBlocks(*p.module).size();
    EXPECT_EQ(r.size(), expected) << e.name;
    for (const BlockReport &b : r) {
      EXPECT_EQ(b.proofs.size(), 3u) << e.name << " " << b.forms.info.name;
      EXPECT_TRUE(b.proved()) << e.name << " " << b.forms.info.name;
      for (int f = 0; f < 3; ++f)
        EXPECT_EQ(b.forms.counts[f].convParams, b.forms.counts[0].convParams);
    }
  }
}

TEST(ProofTest, SmallModelBlocksAreExactlyEquivalent) {
  ParsedModel p = buildZooModel("resnext_small");
  std::vector<BlockReport> r = proveModel(*p.module, EquivOptions{});
  ASSERT_EQ(r.size(), 3u);
  for (const BlockReport &b : r) {
    EXPECT_TRUE(b.check.exactEval.equivalent) << b.check.exactEval.detail;
    EXPECT_TRUE(b.check.exactTrain.equivalent) << b.check.exactTrain.detail;
    EXPECT_LT(b.check.float64MaxAbs, 1e-10);
  }
}

TEST(ProofTest, CertificateReplaysAndTamperingIsCaught) {
  ParsedModel p = buildZooModel("resnext_small");
  EquivOptions o;
  o.runChecks = false;
  std::vector<BlockReport> r = proveModel(*p.module, o);
  llvm::json::Value json = reportJson("resnext_small", r);
  std::string error;
  int steps = 0;
  EXPECT_TRUE(checkCertificateJson(*p.module, json, error, steps)) << error;
  EXPECT_EQ(steps, 3 * (1 + 7 + 8));

  // Through text, as `cardinal equiv --json` writes it.
  std::string text;
  llvm::raw_string_ostream os(text);
  os << json;
  auto reparsed = llvm::json::parse(os.str());
  ASSERT_TRUE(bool(reparsed));

  auto tamper = [&](auto edit) {
    llvm::json::Value copy = *reparsed;
    auto *step = copy.getAsObject()->getArray("blocks")->front().getAsObject()
                     ->getArray("certificate")->back().getAsObject()
                     ->getArray("steps");
    edit(*step);
    std::string why;
    int n = 0;
    EXPECT_FALSE(checkCertificateJson(*p.module, copy, why, n));
    return why;
  };
  // A step at the wrong site, a step dropped, an unknown rule, a wrong map.
  EXPECT_NE(tamper([](llvm::json::Array &s) {
              (*s[0].getAsObject())["site"] = int64_t(1);
            }).find("does not match"),
            std::string::npos);
  EXPECT_NE(tamper([](llvm::json::Array &s) {
              llvm::json::Array rest;
              for (size_t i = 1; i < s.size(); ++i)
                rest.push_back(s[i]);
              s = std::move(rest);
            }).find("step"),
            std::string::npos);
  EXPECT_NE(tamper([](llvm::json::Array &s) {
              (*s[0].getAsObject())["rule"] = "conv-is-anything";
            }).find("unknown rule"),
            std::string::npos);
  EXPECT_NE(tamper([](llvm::json::Array &s) {
              auto *params = (*s[0].getAsObject()).getArray("params");
              (*params->front().getAsObject())["axis"] = int64_t(0);
            }).find("other parameters"),
            std::string::npos);
}
