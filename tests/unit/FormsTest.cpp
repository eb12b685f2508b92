//===- FormsTest.cpp - forms (a), (b), (c): round trips and parameter maps -===//
//
// Round trips between the paper's three forms must give back the same module
// text and, through the composed parameter maps, the same weights bit for bit;
// every zoo model lowers to each form with its parameter count unchanged.
//
//===----------------------------------------------------------------------===//
#include "TestModule.h"

#include "interp/HostTensor.h"
#include "interp/PathNames.h"
#include "models/ResNeXt.h"
#include "passes/FormLowering.h"
#include "passes/FormRecognition.h"
#include "passes/ParamMap.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>
#include <numeric>
#include <random>
#include <set>

using namespace cardinal;
using cardinal::testing::buildModule;
using cardinal::testing::buildZooModel;
using cardinal::testing::parseModule;
using cardinal::testing::ParsedModel;

namespace {

std::string print(mlir::ModuleOp m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os);
  return s;
}

/// The block of tests/passes/print-stats.mlir (w = 8, d = 2, 4x4) with C
/// paths, as an nn.aggregate.
ParsedModel tinyBlock(int64_t C, int64_t stride = 1) {
  return buildModule("tiny", [&](dsl::Graph &g) {
    dsl::Tensor x = g.input("image", {1, 8, 4, 4});
    auto s = g.scope("stage2");
    auto b = g.scope("block0");
    g.output({models::resnextBlock(g, x, C, 2, 8, stride)});
  });
}

/// Distinct random values for every instance parameter of `m`: a random
/// permutation of 1..N (exact in float).
TensorMap<float> randomWeights(mlir::ModuleOp m, unsigned seed) {
  auto params = instanceParams(m);
  int64_t total = 0;
  for (auto &[name, shape] : params)
    total += HostTensor<float>::numelOf(shape);
  std::vector<int64_t> values(total);
  std::iota(values.begin(), values.end(), 1);
  std::mt19937 rng(seed);
  std::shuffle(values.begin(), values.end(), rng);
  TensorMap<float> out;
  int64_t k = 0;
  for (auto &[name, shape] : params) {
    HostTensor<float> t(shape);
    for (float &v : t.data)
      v = static_cast<float>(values[k++]);
    out[name] = std::move(t);
  }
  return out;
}

/// Bitwise equality of two weight sets.
::testing::AssertionResult sameBits(const TensorMap<float> &a,
                                    const TensorMap<float> &b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure()
           << a.size() << " vs " << b.size() << " tensors";
  for (auto &[name, t] : a) {
    auto it = b.find(name);
    if (it == b.end())
      return ::testing::AssertionFailure() << "no '" << name << "'";
    if (t.shape != it->second.shape)
      return ::testing::AssertionFailure() << "'" << name << "' shape differs";
    if (std::memcmp(t.data.data(), it->second.data.data(),
                    t.data.size() * sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "'" << name << "' differs";
  }
  return ::testing::AssertionSuccess();
}

/// The map's targets are exactly the module's instance parameters, with
/// their shapes, and the map is well formed.
void expectCovers(const ParamMap &map, mlir::ModuleOp m) {
  std::string error;
  EXPECT_TRUE(validateParamMap(map, &error)) << error;
  auto params = instanceParams(m);
  ASSERT_EQ(map.entries.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(map.entries[i].target, params[i].first);
    EXPECT_EQ(map.entries[i].shape, params[i].second);
  }
}

/// The keys and shapes of `w` are the module's instance parameters.
void expectWeightsFit(const TensorMap<float> &w, mlir::ModuleOp m) {
  auto params = instanceParams(m);
  ASSERT_EQ(w.size(), params.size());
  for (auto &[name, shape] : params) {
    auto it = w.find(name);
    ASSERT_NE(it, w.end()) << name;
    EXPECT_EQ(it->second.shape, shape) << name;
  }
}

int count(const std::string &text, const std::string &needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

//===----------------------------------------------------------------------===//
// ParamMap
//===----------------------------------------------------------------------===//

TEST(ParamMapTest, ConcatSliceComposeAndApply) {
  // merge: m = concat_axis1(p0 [2x2], p1 [2x3]); split: q = m[:, 1:4].
  ParamMap merge;
  merge.sources = {{"p0", {2, 2}}, {"p1", {2, 3}}};
  merge.entries.push_back(
      ParamMapEntry{"m", {2, 5}, 1, {Piece{"p0", 0, 0, 2}, Piece{"p1", 1, 0, 3}}});
  ParamMap split;
  split.sources = {{"m", {2, 5}}};
  split.entries.push_back(ParamMapEntry{"q", {2, 3}, 1, {Piece{"m", 1, 1, 3}}});
  std::string error;
  ASSERT_TRUE(validateParamMap(merge, &error)) << error;
  ASSERT_TRUE(validateParamMap(split, &error)) << error;

  TensorMap<float> w;
  w["p0"] = HostTensor<float>({2, 2});
  w["p0"].data = {1, 2, 3, 4};
  w["p1"] = HostTensor<float>({2, 3});
  w["p1"].data = {5, 6, 7, 8, 9, 10};
  TensorMap<float> merged = applyParamMap(merge, w);
  EXPECT_EQ(merged.at("m").data,
            (std::vector<float>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10}));
  TensorMap<float> q = applyParamMap(split, merged);
  EXPECT_EQ(q.at("q").data, (std::vector<float>{2, 5, 6, 4, 8, 9}));

  ParamMap both = compose(merge, split);
  ASSERT_EQ(both.entries.size(), 1u);
  // q = concat(p0[:, 1:2], p1) along axis 1.
  ASSERT_EQ(both.entries[0].pieces.size(), 2u);
  EXPECT_EQ(both.entries[0].pieces[0].source, "p0");
  EXPECT_EQ(both.entries[0].pieces[0].start, 1);
  EXPECT_EQ(both.entries[0].pieces[0].size, 1);
  EXPECT_EQ(both.entries[0].pieces[1].source, "p1");
  EXPECT_EQ(applyParamMap(both, w).at("q").data, q.at("q").data);

  // A missing source is reported, not guessed.
  ParamMap bad;
  bad.sources = {{"zz", {2}}};
  bad.entries.push_back(ParamMapEntry{"y", {2}, 0, {Piece{"zz", 0, 0, 2}}});
  EXPECT_TRUE(failed(tryCompose(merge, bad, &error)));
  EXPECT_NE(error.find("zz"), std::string::npos) << error;
  EXPECT_FALSE(tryApplyParamMap(bad, w, &error).has_value());
}

TEST(ParamMapTest, SplitThenMergeIsIdentity) {
  // c -> a splits W [6, 4] into 3 slices along axis 0; a -> c merges them.
  ParamMap split, merge;
  split.sources = {{"W", {6, 4}}};
  merge.sources = {};
  for (int i = 0; i < 3; ++i) {
    std::string p = "p" + std::to_string(i);
    split.entries.push_back(ParamMapEntry{p, {2, 4}, 0, {Piece{"W", 0, 2 * i, 2}}});
    merge.sources[p] = {2, 4};
  }
  merge.entries.push_back(ParamMapEntry{
      "W", {6, 4}, 0,
      {Piece{"p0", 0, 0, 2}, Piece{"p1", 0, 0, 2}, Piece{"p2", 0, 0, 2}}});
  ParamMap round = compose(split, merge);
  EXPECT_TRUE(isIdentity(round)) << toJson(round);
  ParamMap other = compose(merge, split);
  EXPECT_TRUE(isIdentity(other)) << toJson(other);
}

TEST(ParamMapTest, JsonAndAttributeRoundTrip) {
  ParsedModel p = tinyBlock(2);
  ASSERT_TRUE(p);
  mlir::FailureOr<ParamMap> map = lowerAggregates(*p.module, Form::C);
  ASSERT_TRUE(succeeded(map));
  mlir::ArrayAttr attr = toAttribute(p.context.get(), *map);
  std::string error;
  mlir::FailureOr<ParamMap> back = paramMapFromAttribute(attr, &error);
  ASSERT_TRUE(succeeded(back)) << error;
  EXPECT_EQ(toJson(*back), toJson(*map));
  std::string json = toJson(*map);
  EXPECT_NE(json.find("{\"target\":\"stage2.block0.conv3.weight\",\"shape\":"
                      "[8,4,1,1],\"axis\":1,\"pieces\":[{\"source\":"
                      "\"stage2.block0.path0.conv3.weight\",\"source_shape\":"
                      "[8,2,1,1],\"axis\":1,\"start\":0,\"size\":2}"),
            std::string::npos)
      << json;
  EXPECT_TRUE(failed(paramMapFromAttribute(
      mlir::Builder(p.context.get()).getI64IntegerAttr(3), &error)));
}

//===----------------------------------------------------------------------===//
// Round trips through the forms
//===----------------------------------------------------------------------===//

struct RoundTrip {
  Form start;
  std::vector<Form> through; // ends where it started
};

void PrintTo(const RoundTrip &r, std::ostream *os) {
  *os << stringifyForm(r.start).str();
  for (Form f : r.through)
    *os << "->" << stringifyForm(f).str();
}

class FormRoundTripTest
    : public ::testing::TestWithParam<std::tuple<RoundTrip, int64_t>> {};

TEST_P(FormRoundTripTest, ModuleTextAndWeightsComeBack) {
  auto [trip, C] = GetParam();
  ParsedModel p = tinyBlock(C, /*stride=*/C == 3 ? 2 : 1);
  ASSERT_TRUE(p);
  mlir::ModuleOp m = *p.module;
  ASSERT_TRUE(succeeded(lowerAggregates(m, trip.start)));
  ASSERT_TRUE(succeeded(mlir::verify(m)));
  const std::string original = print(m);
  const TensorMap<float> w0 = randomWeights(m, 1234 + C);
  ASSERT_TRUE(recognizeForms(m).size() == 1);
  EXPECT_EQ(recognizeForms(m)[0].form, trip.start);
  EXPECT_EQ(recognizeForms(m)[0].cardinality, C);

  TensorMap<float> w = w0;
  ParamMap total = identityParamMap(m);
  for (Form f : trip.through) {
    SCOPED_TRACE("to form " + stringifyForm(f).str());
    mlir::FailureOr<ParamMap> map = convertForms(m, f);
    ASSERT_TRUE(succeeded(map));
    ASSERT_TRUE(succeeded(mlir::verify(m)));
    expectCovers(*map, m);
    std::vector<FormBlock> blocks = recognizeForms(m);
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].form, f);
    w = applyParamMap(*map, w);
    expectWeightsFit(w, m);
    total = compose(total, *map);
  }
  EXPECT_EQ(print(m), original);
  EXPECT_TRUE(sameBits(w, w0));
  EXPECT_TRUE(isIdentity(total)) << toJson(total);
  EXPECT_TRUE(sameBits(applyParamMap(total, w0), w0));
}

INSTANTIATE_TEST_SUITE_P(
    Forms, FormRoundTripTest,
    ::testing::Combine(
        ::testing::Values(RoundTrip{Form::A, {Form::B, Form::C, Form::A}},
                          RoundTrip{Form::C, {Form::A, Form::C}},
                          RoundTrip{Form::B, {Form::C, Form::B}},
                          RoundTrip{Form::A, {Form::C, Form::B, Form::A}}),
        ::testing::Values(2, 3, 4)),
    [](const auto &info) {
      std::string s = stringifyForm(std::get<0>(info.param).start).str();
      for (Form f : std::get<0>(info.param).through)
        s += "to" + stringifyForm(f).str();
      return s + "_C" + std::to_string(std::get<1>(info.param));
    });

TEST(FormsTest, MapsMoveWeightsLikeThePaper) {
  // (a) -> (c): conv1 of path i is rows [2i, 2i+2) of the merged conv1; conv3
  // of path i is input channels [2i, 2i+2) of the merged conv3.
  ParsedModel p = tinyBlock(3);
  mlir::ModuleOp m = *p.module;
  ASSERT_TRUE(succeeded(lowerAggregates(m, Form::A)));
  TensorMap<float> wa = randomWeights(m, 7);
  mlir::FailureOr<ParamMap> map = convertForms(m, Form::C);
  ASSERT_TRUE(succeeded(map));
  TensorMap<float> wc = applyParamMap(*map, wa);
  const HostTensor<float> &conv1 = wc.at("stage2.block0.conv1.weight");
  const HostTensor<float> &conv3 = wc.at("stage2.block0.conv3.weight");
  EXPECT_EQ(conv1.shape, (std::vector<int64_t>{6, 8, 1, 1}));
  EXPECT_EQ(conv3.shape, (std::vector<int64_t>{8, 6, 1, 1}));
  EXPECT_EQ(wc.at("stage2.block0.conv2.weight").shape,
            (std::vector<int64_t>{6, 2, 3, 3}));
  EXPECT_EQ(wc.at("stage2.block0.bn2.running_var").shape,
            (std::vector<int64_t>{6}));
  for (int64_t i = 0; i < 3; ++i) {
    const HostTensor<float> &p1 =
        wa.at(pathParamName("stage2.block0.conv1.weight", i));
    const HostTensor<float> &p3 =
        wa.at(pathParamName("stage2.block0.conv3.weight", i));
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t c = 0; c < 8; ++c)
        EXPECT_EQ(conv1.data[(2 * i + r) * 8 + c], p1.data[r * 8 + c]);
    for (int64_t o = 0; o < 8; ++o)
      for (int64_t c = 0; c < 2; ++c)
        EXPECT_EQ(conv3.data[o * 6 + 2 * i + c], p3.data[o * 2 + c]);
  }
  // bn3 and the block input are untouched: identity entries.
  const ParamMapEntry *bn3 = findEntry(*map, "stage2.block0.bn3.scale");
  ASSERT_NE(bn3, nullptr);
  EXPECT_TRUE(isIdentity(*map, *bn3));
}

TEST(FormsTest, ImportedNamesWithoutTags) {
  // Form (a) written by hand with names that carry no path tags.
  const char *text = R"mlir(
func.func @imported(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %wa = nn.param "left.conv1.weight" init "he_normal" : tensor<2x4x1x1xf32>
  %a = nn.conv2d %x, %wa stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32>
  %ra = nn.relu %a : tensor<1x2x4x4xf32>
  %va = nn.param "left.conv2.weight" init "he_normal" : tensor<4x2x1x1xf32>
  %ya = nn.conv2d %ra, %va stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %wb = nn.param "right.conv1.weight" init "he_normal" : tensor<2x4x1x1xf32>
  %b = nn.conv2d %x, %wb stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32>
  %rb = nn.relu %b : tensor<1x2x4x4xf32>
  %vb = nn.param "right.conv2.weight" init "he_normal" : tensor<4x2x1x1xf32>
  %yb = nn.conv2d %rb, %vb stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %s = nn.add %ya, %yb : tensor<1x4x4x4xf32>
  return %s : tensor<1x4x4x4xf32>
}
)mlir";
  ParsedModel p = parseModule(text);
  ASSERT_TRUE(p);
  mlir::ModuleOp m = *p.module;
  TensorMap<float> w0 = randomWeights(m, 3);
  mlir::FailureOr<ParamMap> toB = convertForms(m, Form::B);
  ASSERT_TRUE(succeeded(toB));
  // Path 0's names are the template names: the merged weight is called so,
  // the paths' first convs are left.path<i>.conv1.weight.
  std::string b = print(m);
  EXPECT_EQ(count(b, "nn.param \"left.conv2.weight\" init \"he_normal\" : "
                     "tensor<4x4x1x1xf32>"),
            1)
      << b;
  EXPECT_EQ(count(b, "nn.param \"left.path1.conv1.weight\""), 1) << b;
  EXPECT_EQ(count(b, "right."), 0) << b;
  TensorMap<float> wb = applyParamMap(*toB, w0);
  EXPECT_TRUE(wb.at("left.path1.conv1.weight") == w0.at("right.conv1.weight"));
  mlir::FailureOr<ParamMap> toA = convertForms(m, Form::A);
  ASSERT_TRUE(succeeded(toA));
  std::string a = print(m);
  EXPECT_EQ(count(a, "left.path0.conv2.weight"), 1) << a;
  EXPECT_EQ(count(a, "left.path1.conv2.weight"), 1) << a;
  TensorMap<float> w = applyParamMap(*toA, wb);
  EXPECT_TRUE(w.at("left.path0.conv2.weight") == w0.at("left.conv2.weight"));
  EXPECT_TRUE(w.at("left.path1.conv2.weight") == w0.at("right.conv2.weight"));
  EXPECT_TRUE(w.at("left.path1.conv1.weight") == w0.at("right.conv1.weight"));
}

TEST(FormsTest, TemplateWithoutFormCIsLeftWithAReason) {
  const char *text = R"mlir(
func.func @yield_bn(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %a = nn.aggregate %x cardinality 2 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32> {
  ^bb0(%in: tensor<1x4x4x4xf32>):
    %w = nn.param "s.b.conv1.weight" init "he_normal" : tensor<4x4x1x1xf32>
    %c = nn.conv2d %in, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
    %g = nn.param "s.b.bn1.scale" init "ones" : tensor<4xf32>
    %b = nn.param "s.b.bn1.shift" init "zeros" : tensor<4xf32>
    %m = nn.state "s.b.bn1.running_mean" init "zeros" : tensor<4xf32>
    %v = nn.state "s.b.bn1.running_var" init "ones" : tensor<4xf32>
    %n = nn.batch_norm %c, %g, %b, %m, %v : tensor<1x4x4x4xf32>, tensor<4xf32>
    nn.yield %n : tensor<1x4x4x4xf32>
  }
  return %a : tensor<1x4x4x4xf32>
}
)mlir";
  ParsedModel p = parseModule(text);
  ASSERT_TRUE(p);
  std::string before = print(*p.module);
  nn::AggregateOp agg;
  p.module->walk([&](nn::AggregateOp op) { agg = op; });
  std::string why;
  EXPECT_TRUE(failed(canLowerAggregate(agg, Form::C, &why)));
  EXPECT_NE(why.find("the yielded value comes from 'nn.batch_norm' (s.b.bn1)"),
            std::string::npos)
      << why;
  EXPECT_TRUE(failed(canLowerAggregate(agg, Form::B, &why)));
  EXPECT_TRUE(succeeded(canLowerAggregate(agg, Form::A, &why)));
  EXPECT_EQ(print(*p.module), before);

  std::vector<std::string> remarks;
  mlir::ScopedDiagnosticHandler handler(p.context.get(), [&](mlir::Diagnostic &d) {
    remarks.push_back(d.str());
    return mlir::success();
  });
  EXPECT_TRUE(failed(lowerAggregate(agg, Form::C)));
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_NE(remarks[0].find("no form (c) for this nn.aggregate"),
            std::string::npos)
      << remarks[0];
  EXPECT_EQ(print(*p.module), before);
  // The module-level lowering leaves it too and still maps every param.
  mlir::FailureOr<ParamMap> map = lowerAggregates(*p.module, Form::C);
  ASSERT_TRUE(succeeded(map));
  EXPECT_TRUE(isIdentity(*map));
  EXPECT_EQ(map->entries.size(), 10u); // 5 params x 2 paths
  EXPECT_EQ(print(*p.module), before);
}

TEST(FormsTest, ConvertLeavesBlocksWithoutTheTargetForm) {
  // Form (a) whose paths end in a BN: raised fine, but it has no form (b) or
  // (c); convertForms leaves it as it is, with a remark saying why.
  const char *text = R"mlir(
func.func @paths_end_in_bn(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %a = nn.aggregate %x cardinality 3 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32> {
  ^bb0(%in: tensor<1x4x4x4xf32>):
    %w = nn.param "s.b.conv1.weight" init "he_normal" : tensor<4x4x1x1xf32>
    %c = nn.conv2d %in, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
    %g = nn.param "s.b.bn1.scale" init "ones" : tensor<4xf32>
    %b = nn.param "s.b.bn1.shift" init "zeros" : tensor<4xf32>
    %m = nn.state "s.b.bn1.running_mean" init "zeros" : tensor<4xf32>
    %v = nn.state "s.b.bn1.running_var" init "ones" : tensor<4xf32>
    %n = nn.batch_norm %c, %g, %b, %m, %v : tensor<1x4x4x4xf32>, tensor<4xf32>
    nn.yield %n : tensor<1x4x4x4xf32>
  }
  return %a : tensor<1x4x4x4xf32>
}
)mlir";
  ParsedModel p = parseModule(text);
  ASSERT_TRUE(p);
  mlir::ModuleOp m = *p.module;
  ASSERT_TRUE(succeeded(lowerAggregates(m, Form::A)));
  const std::string a = print(m);
  std::vector<std::string> remarks;
  mlir::ScopedDiagnosticHandler handler(p.context.get(), [&](mlir::Diagnostic &d) {
    remarks.push_back(d.str());
    return mlir::success();
  });
  ASSERT_EQ(recognizeForms(m).size(), 1u);
  for (Form f : {Form::C, Form::B}) {
    remarks.clear();
    mlir::FailureOr<ParamMap> map = convertForms(m, f);
    ASSERT_TRUE(succeeded(map));
    EXPECT_TRUE(isIdentity(*map));
    EXPECT_EQ(print(m), a);
    ASSERT_EQ(remarks.size(), 1u);
    EXPECT_NE(remarks[0].find("block in form (a) has no form (" +
                              stringifyForm(f).str() + "): the yielded value "
                              "comes from 'nn.batch_norm' (s.b.bn1)"),
              std::string::npos)
        << remarks[0];
  }
}

TEST(FormsTest, RecognitionChecksStructureNotNames) {
  // Path 1's 3x3 conv gets pad 2, dilation 2 (same shapes, other op): the
  // tags still say "two paths", the structure does not.
  ParsedModel p = tinyBlock(2);
  mlir::ModuleOp m = *p.module;
  ASSERT_TRUE(succeeded(lowerAggregates(m, Form::A)));
  mlir::Builder b(m.getContext());
  int k = 0;
  m.walk([&](nn::Conv2dOp conv) {
    if (k++ == 4) { // convs in order: path 0's three, then path 1's
      conv.setPaddingAttr(b.getDenseI64ArrayAttr({2, 2}));
      conv.setDilationAttr(b.getDenseI64ArrayAttr({2, 2}));
    }
  });
  ASSERT_TRUE(succeeded(mlir::verify(m)));
  std::vector<std::string> remarks;
  mlir::ScopedDiagnosticHandler handler(p.context.get(), [&](mlir::Diagnostic &d) {
    remarks.push_back(d.str());
    return mlir::success();
  });
  EXPECT_EQ(recognizeForms(m, /*emitRemarks=*/true).size(), 0u);
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_NE(remarks[0].find("'nn.conv2d' (stage2.block0.path1.conv2) has "
                            "dilation = array<i64: 2, 2> where path 0's"),
            std::string::npos)
      << remarks[0];

  // Unrelated names on path 1: still two isomorphic paths (names are neither
  // trusted nor needed); path 0's names become the template names.
  ParsedModel q = tinyBlock(2);
  ASSERT_TRUE(succeeded(lowerAggregates(*q.module, Form::A)));
  TensorMap<float> w0 = randomWeights(*q.module, 5);
  std::map<std::string, std::string> renamed;
  q.module->walk([&](mlir::Operation *op) {
    if (!detail::isParamLike(op))
      return;
    std::string name = detail::paramName(op).str();
    if (name.find("path1") == std::string::npos)
      return;
    std::string other = "imported.p" + std::to_string(renamed.size());
    renamed[other] = name;
    detail::setParamName(op, other);
  });
  for (auto &[other, name] : renamed)
    w0[other] = w0[name], w0.erase(name);
  ASSERT_EQ(recognizeForms(*q.module).size(), 1u);
  mlir::FailureOr<ParamMap> map = convertForms(*q.module, Form::C);
  ASSERT_TRUE(succeeded(map));
  std::string c = print(*q.module);
  EXPECT_NE(c.find("\"stage2.block0.path0.conv2.weight\" init \"he_normal\" : "
                   "tensor<4x2x3x3xf32>"),
            std::string::npos)
      << c;
  TensorMap<float> wc = applyParamMap(*map, w0);
  const HostTensor<float> &conv2 = wc.at("stage2.block0.path0.conv2.weight");
  const HostTensor<float> &path1 = w0.at("imported.p5"); // path 1's conv2
  ASSERT_EQ(path1.shape, (std::vector<int64_t>{2, 2, 3, 3}));
  EXPECT_TRUE(std::equal(path1.data.begin(), path1.data.end(),
                         conv2.data.begin() + 36));
}

TEST(FormsTest, FormNames) {
  EXPECT_EQ(parseForm("a"), Form::A);
  EXPECT_EQ(parseForm("B"), Form::B);
  EXPECT_EQ(parseForm("(c)"), Form::C);
  EXPECT_FALSE(parseForm("d").has_value());
  EXPECT_EQ(stringifyForm(Form::B), "b");
}

//===----------------------------------------------------------------------===//
// The zoo: every model lowers to every form, verifies, same counts.
//===----------------------------------------------------------------------===//

class ZooFormsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooFormsTest, LowersToEveryFormWithSameCounts) {
  const std::string name = GetParam();
  ParsedModel p = buildZooModel(name);
  ASSERT_TRUE(p);
  ModelStats before = cardinal::testing::statsOf(p);
  for (Form f : {Form::A, Form::B, Form::C}) {
    SCOPED_TRACE(name + " to form " + stringifyForm(f).str());
    ParsedModel q = parseModule(p.text);
    ASSERT_TRUE(q);
    mlir::FailureOr<ParamMap> map = lowerAggregates(*q.module, f);
    ASSERT_TRUE(succeeded(map));
    ASSERT_TRUE(succeeded(mlir::verify(*q.module)));
    int aggregates = 0;
    q.module->walk([&](nn::AggregateOp) { ++aggregates; });
    EXPECT_EQ(aggregates, 0);
    mlir::FailureOr<ModelStats> after = computeModelStats(*q.module);
    ASSERT_TRUE(succeeded(after));
    EXPECT_EQ(after->params, before.params);
    EXPECT_EQ(after->macs, before.macs);
    expectCovers(*map, *q.module);
    // The map reads only parameters of the input (instance names).
    std::set<std::string> inputs;
    for (auto &[n, s] : instanceParams(*p.module))
      inputs.insert(n);
    for (auto &[n, s] : map->sources)
      EXPECT_TRUE(inputs.count(n)) << n;
  }
}

std::vector<std::string> zooNames() {
  std::vector<std::string> names;
  for (const models::ZooEntry &e : models::zoo())
    names.push_back(e.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooFormsTest, ::testing::ValuesIn(zooNames()),
                         [](const auto &info) { return info.param; });

// Whole models converted between forms come back exactly.
class ZooRoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooRoundTripTest, CToAToBToC) {
  ParsedModel p = buildZooModel(GetParam());
  ASSERT_TRUE(p);
  mlir::ModuleOp m = *p.module;
  ASSERT_TRUE(succeeded(lowerAggregates(m, Form::C)));
  const std::string original = print(m);
  const TensorMap<float> w0 = randomWeights(m, 99);
  size_t blocks = recognizeForms(m).size();
  EXPECT_GT(blocks, 0u);
  // Whole networks convert without remarks (residual joins are no blocks).
  int remarks = 0;
  mlir::ScopedDiagnosticHandler handler(p.context.get(), [&](mlir::Diagnostic &) {
    ++remarks;
    return mlir::success();
  });
  TensorMap<float> w = w0;
  for (Form f : {Form::A, Form::B, Form::C}) {
    SCOPED_TRACE(stringifyForm(f).str());
    mlir::FailureOr<ParamMap> map = convertForms(m, f);
    ASSERT_TRUE(succeeded(map));
    ASSERT_TRUE(succeeded(mlir::verify(m)));
    std::vector<FormBlock> found = recognizeForms(m);
    EXPECT_EQ(found.size(), blocks);
    for (const FormBlock &b : found)
      EXPECT_EQ(b.form, f);
    w = applyParamMap(*map, w);
  }
  EXPECT_EQ(print(m), original);
  EXPECT_TRUE(sameBits(w, w0));
  EXPECT_EQ(remarks, 0);
}

TEST(ZooTextRoundTrip, ResNeXt50AToCToBToA) {
  // The whole ImageNet model (16 blocks, C = 32): text and an identity map
  // (weights are checked on the smaller models above).
  ParsedModel p = buildZooModel("resnext50_32x4d");
  ASSERT_TRUE(p);
  mlir::ModuleOp m = *p.module;
  ASSERT_TRUE(succeeded(lowerAggregates(m, Form::A)));
  const std::string original = print(m);
  EXPECT_EQ(recognizeForms(m).size(), 16u);
  ParamMap total = identityParamMap(m);
  for (Form f : {Form::C, Form::B, Form::A}) {
    mlir::FailureOr<ParamMap> map = convertForms(m, f);
    ASSERT_TRUE(succeeded(map));
    total = compose(total, *map);
  }
  ASSERT_TRUE(succeeded(mlir::verify(m)));
  EXPECT_EQ(print(m), original);
  EXPECT_TRUE(isIdentity(total));
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooRoundTripTest,
                         ::testing::Values("resnext_small", "resnext_block",
                                           "resnext29_8x64d"),
                         [](const auto &info) { return info.param; });

} // namespace
