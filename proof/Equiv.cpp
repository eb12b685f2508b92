//===- Equiv.cpp - prove and check every block of a model ------------------===//
#include "proof/Equiv.h"

#include "passes/ModelStats.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <map>

using namespace mlir;
namespace nn = cardinal::nn;

namespace cardinal::proof {

char formLetter(int form) { return "abc"[form]; }

bool BlockReport::proved() const {
  if (proofs.empty())
    return false;
  for (const FormProof &p : proofs)
    if (!p.certificate.proved())
      return false;
  return true;
}

std::vector<BlockReport> proveModel(ModuleOp model, const EquivOptions &o) {
  std::vector<BlockReport> reports;
  for (nn::AggregateOp agg : findBlocks(model)) {
    if (!o.onlyBlock.empty() && blockName(agg) != o.onlyBlock)
      continue;
    BlockReport r;
    r.forms = makeBlockForms(agg);
    auto has = [&](int f) { return bool(r.forms.forms[f]); };
    for (auto [from, to] : {std::pair{0, 1}, {1, 2}, {0, 2}}) {
      if (!has(from) || !has(to))
        continue;
      OwningOpRef<ModuleOp> source = r.forms.forms[from]->clone();
      FormProof p;
      p.from = from;
      p.to = to;
      p.certificate = prove(blockFunction(*source),
                            blockFunction(*r.forms.forms[to]));
      r.proofs.push_back(std::move(p));
    }
    if (o.runChecks) {
      r.checkedFrom = 0;
      r.checkedTo = has(2) ? 2 : 1;
      if (has(r.checkedFrom) && has(r.checkedTo))
        r.check = checkPair(blockFunction(*r.forms.aggregate),
                            blockFunction(*r.forms.forms[r.checkedFrom]),
                            r.forms.maps[r.checkedFrom],
                            blockFunction(*r.forms.forms[r.checkedTo]),
                            r.forms.maps[r.checkedTo], o.check);
    }
    reports.push_back(std::move(r));
  }
  return reports;
}

namespace {

std::string describeEntry(const ParamMapEntry &e) {
  return fmt::format("{} = concat(axis {}) of {}", e.target, e.axis,
                     e.pieces.size() == 1 ? e.pieces[0].source
                                          : std::to_string(e.pieces.size()) +
                                                " path tensors");
}

std::string verdict(const ExactVerdict &v) {
  if (!v.ran)
    return "not run (" + v.detail + ")";
  return v.equivalent ? fmt::format("equivalent, P(miss) <= {:.1e}", v.errorBound)
                      : "NOT equivalent: " + v.detail;
}

} // namespace

std::string formatReport(const std::string &model,
                         const std::vector<BlockReport> &blocks) {
  std::string out = fmt::format("equivalence of forms (a), (b), (c) in {}: {} "
                                "block(s)\n",
                                model, blocks.size());
  for (const BlockReport &r : blocks) {
    const BlockInfo &i = r.forms.info;
    out += fmt::format("\nblock {}  (w={} -> {}, C={}, d={}, {}x{}, stride {})\n",
                       i.name, i.widthIn, i.widthOut, i.cardinality,
                       i.bottleneck, i.height, i.width, i.stride);
    bool timed = r.seconds[0] >= 0 || r.seconds[1] >= 0 || r.seconds[2] >= 0;
    out += fmt::format("  {:<5} {:>14} {:>10} {:>12}{}\n", "form",
                       "params (Eq.4)", "+ BN", "mult-adds",
                       timed ? fmt::format(" {:>12}", "time/batch") : "");
    for (int f = 0; f < 3; ++f) {
      if (!r.forms.forms[f]) {
        out += fmt::format("  ({})   not available: {}\n", formLetter(f),
                           r.forms.unavailable[f]);
        continue;
      }
      const FormCounts &c = r.forms.counts[f];
      out += fmt::format("  ({})   {:>14} {:>10} {:>12}{}\n", formLetter(f),
                         withCommas(c.convParams), withCommas(c.bnParams),
                         humanCount(c.macs),
                         r.seconds[f] >= 0
                             ? fmt::format(" {:>9.2f} ms", r.seconds[f] * 1e3)
                             : "");
    }
    for (const FormProof &p : r.proofs) {
      const Certificate &c = p.certificate;
      out += fmt::format("  proof ({})->({}): {} step(s), {}\n",
                         formLetter(p.from), formLetter(p.to), c.steps.size(),
                         c.proved() ? "result equals the target graph up to "
                                      "renaming"
                                    : "FAILED: " + c.final.mismatch);
      for (size_t s = 0; s < c.steps.size(); ++s) {
        const Step &st = c.steps[s];
        out += fmt::format("    {:>2} {:<30} op #{:<4} {}\n", s + 1,
                           ruleInfo(st.rule).name, st.site, st.siteDesc);
        for (const ParamMapEntry &e : st.params.entries)
          out += "         " + describeEntry(e) + "\n";
      }
    }
    if (r.check.float64MaxAbs >= 0 || r.check.exactEval.ran ||
        !r.check.exactEval.detail.empty()) {
      out += fmt::format("  check ({}) vs ({}):\n", formLetter(r.checkedFrom),
                         formLetter(r.checkedTo));
      out += "    exact GF(2^61-1), BN eval:  " + verdict(r.check.exactEval) + "\n";
      out += "    exact GF(2^61-1), BN train: " + verdict(r.check.exactTrain) + "\n";
      out += fmt::format("    float64 max|d| {:.1e}   float32 max|d| {:.1e}\n",
                         r.check.float64MaxAbs, r.check.float32MaxAbs);
    }
  }
  return out;
}

static llvm::json::Value mapJson(const ParamMap &m) {
  llvm::json::Array entries;
  for (const ParamMapEntry &e : m.entries) {
    llvm::json::Array pieces, shape;
    for (const Piece &p : e.pieces)
      pieces.push_back(llvm::json::Object{{"source", p.source},
                                          {"axis", p.axis},
                                          {"start", p.start},
                                          {"size", p.size}});
    for (int64_t d : e.shape)
      shape.push_back(d);
    entries.push_back(llvm::json::Object{{"target", e.target},
                                         {"shape", std::move(shape)},
                                         {"axis", e.axis},
                                         {"pieces", std::move(pieces)}});
  }
  return entries;
}

static llvm::json::Value exactJson(const ExactVerdict &v) {
  return llvm::json::Object{{"ran", v.ran},
                            {"equivalent", v.equivalent},
                            {"degree", int64_t(v.degree)},
                            {"error_bound", v.errorBound},
                            {"detail", v.detail}};
}

llvm::json::Value reportJson(const std::string &model,
                             const std::vector<BlockReport> &blocks) {
  llvm::json::Array out;
  for (const BlockReport &r : blocks) {
    const BlockInfo &i = r.forms.info;
    llvm::json::Object forms;
    for (int f = 0; f < 3; ++f) {
      std::string key(1, formLetter(f));
      if (!r.forms.forms[f]) {
        forms[key] = llvm::json::Object{{"available", false},
                                        {"reason", r.forms.unavailable[f]}};
        continue;
      }
      const FormCounts &c = r.forms.counts[f];
      forms[key] = llvm::json::Object{{"available", true},
                                      {"seconds", r.seconds[f]},
                                      {"params", c.convParams},
                                      {"bn_params", c.bnParams},
                                      {"macs", c.macs},
                                      {"param_map", mapJson(r.forms.maps[f])}};
    }
    llvm::json::Array certs;
    for (const FormProof &p : r.proofs) {
      llvm::json::Array steps;
      for (const Step &s : p.certificate.steps)
        steps.push_back(llvm::json::Object{{"rule", ruleInfo(s.rule).name},
                                           {"site", s.site},
                                           {"site_op", s.siteOp},
                                           {"description", s.siteDesc},
                                           {"params", mapJson(s.params)}});
      llvm::json::Object renaming;
      for (auto &[k, v] : p.certificate.final.renaming)
        renaming[k] = v;
      certs.push_back(llvm::json::Object{
          {"from", std::string(1, formLetter(p.from))},
          {"to", std::string(1, formLetter(p.to))},
          {"proved", p.certificate.proved()},
          {"mismatch", p.certificate.final.mismatch},
          {"steps", std::move(steps)},
          {"renaming", std::move(renaming)}});
    }
    out.push_back(llvm::json::Object{
        {"name", i.name},
        {"cardinality", i.cardinality},
        {"width_in", i.widthIn},
        {"width_out", i.widthOut},
        {"bottleneck_width", i.bottleneck},
        {"height", i.height},
        {"width", i.width},
        {"stride", i.stride},
        {"forms", std::move(forms)},
        {"certificate", std::move(certs)},
        {"checked", std::string(1, formLetter(r.checkedFrom)) + "-" +
                        std::string(1, formLetter(r.checkedTo))},
        {"exact", exactJson(r.check.exactEval)},
        {"exact_train_bn", exactJson(r.check.exactTrain)},
        {"float64_max_abs", r.check.float64MaxAbs},
        {"float32_max_abs", r.check.float32MaxAbs}});
  }
  return llvm::json::Object{{"model", model}, {"blocks", std::move(out)}};
}

std::string formDot(func::FuncOp f, const std::string &title) {
  std::string out = "digraph \"" + title + "\" {\n  rankdir=TB;\n  label=\"" +
                    title + "\";\n  node [shape=box, style=rounded];\n";
  std::map<Operation *, int> ids;
  int next = 0;
  auto label = [](Operation *op) -> std::string {
    if (auto c = dyn_cast<nn::Conv2dOp>(op)) {
      auto w = cast<RankedTensorType>(c.getWeight().getType()).getShape();
      std::string s = fmt::format("{}, {}x{}, {}", w[1] * c.getGroups(), w[2],
                                  w[3], w[0]);
      if (c.getGroups() > 1)
        s += fmt::format(", g={}", c.getGroups());
      return s;
    }
    if (isa<nn::BatchNormOp>(op))
      return "BN";
    if (isa<nn::ReluOp>(op))
      return "ReLU";
    if (isa<nn::AddOp>(op))
      return "+";
    if (auto c = dyn_cast<nn::ConcatOp>(op))
      return fmt::format("concatenate ({})", c.getInputs().size());
    if (auto s = dyn_cast<nn::SliceOp>(op))
      return fmt::format("slice [{}, {})", s.getStart(), s.getStart() + s.getSize());
    if (auto in = dyn_cast<nn::InputOp>(op))
      return in.getName().str();
    if (isa<func::ReturnOp>(op))
      return "output";
    return op->getName().stripDialect().str();
  };
  f.getBody().walk([&](Operation *op) {
    if (isa<nn::ParamOp, nn::StateOp, func::FuncOp>(op))
      return;
    int id = ids[op] = next++;
    out += fmt::format("  n{} [label=\"{}\"];\n", id, label(op));
    for (Value v : op->getOperands())
      if (Operation *d = v.getDefiningOp())
        if (ids.count(d))
          out += fmt::format("  n{} -> n{};\n", ids[d], id);
  });
  return out + "}\n";
}

static std::optional<ParamMap> mapFromJson(const llvm::json::Array *entries) {
  ParamMap m;
  if (!entries)
    return std::nullopt;
  for (const llvm::json::Value &ev : *entries) {
    const llvm::json::Object *e = ev.getAsObject();
    if (!e)
      return std::nullopt;
    ParamMapEntry entry;
    auto target = e->getString("target");
    auto axis = e->getInteger("axis");
    const llvm::json::Array *shape = e->getArray("shape");
    const llvm::json::Array *pieces = e->getArray("pieces");
    if (!target || !axis || !shape || !pieces)
      return std::nullopt;
    entry.target = target->str();
    entry.axis = *axis;
    for (const llvm::json::Value &d : *shape)
      entry.shape.push_back(d.getAsInteger().value_or(-1));
    for (const llvm::json::Value &pv : *pieces) {
      const llvm::json::Object *p = pv.getAsObject();
      if (!p || !p->getString("source"))
        return std::nullopt;
      entry.pieces.push_back({p->getString("source")->str(),
                              p->getInteger("axis").value_or(-1),
                              p->getInteger("start").value_or(-1),
                              p->getInteger("size").value_or(-1)});
    }
    m.entries.push_back(std::move(entry));
  }
  return m;
}

bool checkCertificateJson(ModuleOp model, const llvm::json::Value &json,
                          std::string &error, int &stepsChecked) {
  stepsChecked = 0;
  const llvm::json::Object *root = json.getAsObject();
  const llvm::json::Array *blocks = root ? root->getArray("blocks") : nullptr;
  if (!blocks) {
    error = "not a certificate: no \"blocks\" array";
    return false;
  }
  std::map<std::string, nn::AggregateOp> byName;
  for (nn::AggregateOp agg : findBlocks(model))
    byName.emplace(blockName(agg), agg);
  for (const llvm::json::Value &bv : *blocks) {
    const llvm::json::Object *b = bv.getAsObject();
    auto name = b ? b->getString("name") : std::nullopt;
    const llvm::json::Array *certs = b ? b->getArray("certificate") : nullptr;
    if (!name || !certs) {
      error = "a block entry lacks \"name\" or \"certificate\"";
      return false;
    }
    auto it = byName.find(name->str());
    if (it == byName.end()) {
      error = "block '" + name->str() + "' is not in the model";
      return false;
    }
    BlockForms forms = makeBlockForms(it->second);
    for (const llvm::json::Value &cv : *certs) {
      const llvm::json::Object *c = cv.getAsObject();
      auto from = c ? c->getString("from") : std::nullopt;
      auto to = c ? c->getString("to") : std::nullopt;
      const llvm::json::Array *steps = c ? c->getArray("steps") : nullptr;
      if (!from || !to || !steps || from->size() != 1 || to->size() != 1 ||
          (*from)[0] < 'a' || (*from)[0] > 'c' || (*to)[0] < 'a' ||
          (*to)[0] > 'c') {
        error = "block '" + name->str() + "': malformed proof entry";
        return false;
      }
      int f = (*from)[0] - 'a', t = (*to)[0] - 'a';
      std::string proofName = "block '" + name->str() + "' proof (" +
                              from->str() + ")->(" + to->str() + ")";
      if (!forms.forms[f] || !forms.forms[t]) {
        error = proofName + ": the model has no such form for this block";
        return false;
      }
      std::vector<Step> parsed;
      for (const llvm::json::Value &sv : *steps) {
        const llvm::json::Object *s = sv.getAsObject();
        auto rule = s ? s->getString("rule") : std::nullopt;
        auto site = s ? s->getInteger("site") : std::nullopt;
        const RuleInfo *info = rule ? findRule(rule->str()) : nullptr;
        auto params = s ? mapFromJson(s->getArray("params")) : std::nullopt;
        if (!info || !site || !params) {
          error = proofName + ": step " + std::to_string(parsed.size() + 1) +
                  (rule && !info ? ": unknown rule '" + rule->str() + "'"
                                 : ": malformed");
          return false;
        }
        Step step;
        step.rule = info->id;
        step.site = *site;
        step.params = std::move(*params);
        parsed.push_back(std::move(step));
      }
      OwningOpRef<ModuleOp> source = forms.forms[f]->clone();
      std::string why;
      if (!checkCertificate(blockFunction(*source),
                            blockFunction(*forms.forms[t]), parsed, why)) {
        error = proofName + ": " + why;
        return false;
      }
      stepsChecked += parsed.size();
    }
  }
  return true;
}

} // namespace cardinal::proof
