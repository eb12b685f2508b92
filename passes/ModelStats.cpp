//===- ModelStats.cpp - parameter and multiply-add counts ------------------===//
//
// Counts follow torchvision's definitions (DESIGN §2): parameters are the
// elements of every nn.param (BN scale/shift included, running statistics
// excluded); multiply-adds are those of conv and fc layers, per image. Inside
// an nn.aggregate everything counts C times (C paths, own parameters each).
//
//===----------------------------------------------------------------------===//
#include "passes/ModelStats.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>
#include <map>
#include <set>

using namespace mlir;

namespace cardinal {

namespace {

int64_t elements(Type t) {
  return cast<RankedTensorType>(t).getNumElements();
}

// Number of paths an op stands for: the product of enclosing cardinalities.
int64_t multiplicity(Operation *op) {
  int64_t m = 1;
  for (auto agg = op->getParentOfType<nn::AggregateOp>(); agg;
       agg = agg->getParentOfType<nn::AggregateOp>())
    m *= agg.getCardinality();
  return m;
}

// The scoped layer name of an op: from the parameter it uses (minus the
// ".weight" leaf), else its NameLoc, else empty (inherits its predecessor's).
std::string layerName(Operation *op) {
  if (auto p = dyn_cast<nn::ParamOp>(op))
    return p.getName().rsplit('.').first.str();
  if (auto agg = dyn_cast<nn::AggregateOp>(op)) {
    std::string name;
    agg.getBody().walk([&](nn::ParamOp p) {
      name = p.getName().rsplit('.').first.str();
      return WalkResult::interrupt();
    });
    if (!name.empty())
      return name;
  }
  for (Value v : op->getOperands())
    if (auto p = v.getDefiningOp<nn::ParamOp>()) {
      StringRef name = p.getName();
      return name.rsplit('.').first.str();
    }
  if (auto loc = dyn_cast<NameLoc>(op->getLoc()))
    return loc.getName().str();
  return "";
}

std::vector<std::string> split(const std::string &s) {
  SmallVector<StringRef> parts;
  StringRef(s).split(parts, '.');
  return {parts.begin(), parts.end()};
}

std::string convTemplate(nn::Conv2dOp conv, int64_t mult, bool blockRow) {
  auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
  bool yieldsPath = llvm::any_of(conv->getUsers(), [](Operation *u) {
    return isa<nn::YieldOp>(u);
  });
  // A path's last conv maps d -> w and is summed, not concatenated.
  int64_t width = w[0] * (yieldsPath ? 1 : mult);
  int64_t groups = conv.getGroups() * (w[2] > 1 ? mult : 1);
  std::string s = fmt::format("{}x{}, {}", w[2], w[3], width);
  if (groups > 1)
    s += fmt::format(", C={}", groups);
  if (!blockRow && conv.getStrides()[0] > 1)
    s += fmt::format(", stride {}", conv.getStrides()[0]);
  return s;
}

struct StageBuilder {
  StageStats stats;
  std::set<std::string> blockIds;
  std::vector<std::string> pieces;  // template pieces of block0 / stage ops
  std::string firstBlock;
};

} // namespace

FailureOr<ModelStats> computeModelStats(ModuleOp module) {
  func::FuncOp func;
  for (auto f : module.getOps<func::FuncOp>()) {
    func = f;
    break;
  }
  if (!func || func.isExternal()) {
    module.emitError() << "no model function with a body in this module";
    return failure();
  }
  ModelStats result;
  result.model = func.getName().str();

  std::vector<StageBuilder> stages;
  std::map<std::string, size_t> index;
  std::string current = "";

  func.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (auto in = dyn_cast<nn::InputOp>(op)) {
      auto t = cast<RankedTensorType>(in.getType());
      if (result.input.empty() && t.getRank() == 4)
        result.input.assign(t.getShape().begin(), t.getShape().end());
      return;
    }
    if (!isa<nn::NNDialect>(op->getDialect()) ||
        isa<nn::YieldOp, nn::StateOp>(op))
      return;
    std::string layer = layerName(op);
    if (!layer.empty())
      current = layer;
    std::vector<std::string> parts = split(current.empty() ? "model" : current);
    const std::string &stageName = parts[0];
    auto [it, inserted] = index.emplace(stageName, stages.size());
    if (inserted) {
      stages.emplace_back();
      stages.back().stats.name = stageName;
    }
    StageBuilder &sb = stages[it->second];
    int64_t mult = multiplicity(op);

    std::string block = parts.size() > 1 && StringRef(parts[1]).starts_with("block")
                            ? parts[1] : "";
    if (!block.empty()) {
      sb.blockIds.insert(block);
      if (sb.firstBlock.empty())
        sb.firstBlock = block;
    }
    bool inFirstBlock = block.empty() || block == sb.firstBlock;
    bool isShortcut = current.find("shortcut") != std::string::npos;

    if (auto p = dyn_cast<nn::ParamOp>(op)) {
      sb.stats.params += elements(p.getType()) * mult;
      return;
    }
    if (op->getNumResults() == 1) {
      auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (t && t.getRank() >= 2 && !op->getParentOfType<nn::AggregateOp>()) {
        auto shape = t.getShape();
        sb.stats.output.assign(shape.begin() + 1, shape.end());
      }
    }
    if (auto conv = dyn_cast<nn::Conv2dOp>(op)) {
      auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
      auto y = cast<RankedTensorType>(conv.getType()).getShape();
      sb.stats.macs += y[1] * y[2] * y[3] * w[1] * w[2] * w[3] * mult;
      if (inFirstBlock && !isShortcut)
        sb.pieces.push_back(convTemplate(conv, mult, !block.empty()));
    } else if (auto fc = dyn_cast<nn::LinearOp>(op)) {
      auto w = cast<RankedTensorType>(fc.getWeight().getType()).getShape();
      sb.stats.macs += w[0] * w[1] * mult;
      if (inFirstBlock)
        sb.pieces.push_back(fmt::format("{}-d fc", w[0]));
    } else if (auto pool = dyn_cast<nn::MaxPool2dOp>(op)) {
      if (inFirstBlock && block.empty())
        sb.pieces.push_back(fmt::format("{}x{} max pool, stride {}",
                                        pool.getKernel()[0],
                                        pool.getKernel()[1],
                                        pool.getStrides()[0]));
    } else if (isa<nn::GlobalAvgPoolOp>(op)) {
      if (inFirstBlock && block.empty())
        sb.pieces.push_back("global avg pool");
    }
  });

  for (StageBuilder &sb : stages) {
    sb.stats.blocks = sb.blockIds.size();
    std::string joined = llvm::join(sb.pieces, "; ");
    sb.stats.blockTemplate = sb.stats.blocks ? "[" + joined + "]" : joined;
    result.params += sb.stats.params;
    result.macs += sb.stats.macs;
    result.stages.push_back(std::move(sb.stats));
  }
  return result;
}

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string humanCount(int64_t n) {
  if (n >= 1000000000)
    return fmt::format("{:.3f}G", n / 1e9);
  if (n >= 1000000)
    return fmt::format("{:.1f}M", n / 1e6);
  return withCommas(n);
}

static std::string outputSize(const std::vector<int64_t> &out) {
  if (out.size() == 3)
    return fmt::format("{}x{}", out[1], out[2]);
  if (out.size() == 1)
    return fmt::format("{}-d", out[0]);
  return "-";
}

std::string formatStatsTable(const ModelStats &s) {
  std::string text = fmt::format("model {}", s.model);
  if (!s.input.empty())
    text += fmt::format("  (input {}, per image)",
                        llvm::join(llvm::map_range(s.input,
                                                   [](int64_t d) {
                                                     return std::to_string(d);
                                                   }),
                                   "x"));
  text += "\n";
  size_t tw = 8;
  for (const auto &st : s.stages)
    tw = std::max(tw, st.blockTemplate.size());
  text += fmt::format("{:<8} {:>8}  {:<{}}  {:>6}  {:>12}  {:>10}\n", "stage",
                      "output", "template", tw, "blocks", "params",
                      "mult-adds");
  for (const auto &st : s.stages)
    text += fmt::format("{:<8} {:>8}  {:<{}}  {:>6}  {:>12}  {:>10}\n", st.name,
                        outputSize(st.output), st.blockTemplate, tw,
                        st.blocks ? "x" + std::to_string(st.blocks) : "",
                        withCommas(st.params), humanCount(st.macs));
  text += fmt::format("{:<8} {:>8}  {:<{}}  {:>6}  {:>12}  {:>10}\n", "total",
                      "", "", tw, "", withCommas(s.params), humanCount(s.macs));
  text += fmt::format("# params {} ({:.1f}M), mult-adds {} ({:.2f}G)\n",
                      s.params, s.params / 1e6, s.macs, s.macs / 1e9);
  return text;
}

static std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string formatStatsJson(const ModelStats &s) {
  auto ints = [](const std::vector<int64_t> &v) {
    return "[" +
           llvm::join(llvm::map_range(v, [](int64_t d) {
                        return std::to_string(d);
                      }),
                      ",") +
           "]";
  };
  std::string text = fmt::format(
      "{{\"model\":{},\"input\":{},\"params\":{},\"macs\":{},\"stages\":[",
      jsonString(s.model), ints(s.input), s.params, s.macs);
  for (size_t i = 0; i < s.stages.size(); ++i) {
    const StageStats &st = s.stages[i];
    text += fmt::format("{}{{\"name\":{},\"output\":{},\"template\":{},"
                        "\"blocks\":{},\"params\":{},\"macs\":{}}}",
                        i ? "," : "", jsonString(st.name), ints(st.output),
                        jsonString(st.blockTemplate), st.blocks, st.params,
                        st.macs);
  }
  return text + "]}\n";
}

} // namespace cardinal
