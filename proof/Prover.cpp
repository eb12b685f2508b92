//===- Prover.cpp - rewrite one form into another, keeping the trace ------===//
//
// The search is greedy and deterministic: at each step the first op in
// program order at which some rule matches is rewritten, trying the rules
// in table order. For the three ResNeXt forms this is the paper's argument:
// (a)->(b) merges the summed last convs; (b)->(c) pushes the concatenation
// up through ReLU and BN, turns the 3x3 convs on slices into a grouped conv
// and the first 1x1 convs on the shared input into one conv.
//
//===----------------------------------------------------------------------===//
#include "proof/Prover.h"

#include "ir/NNDialect.h"

using namespace mlir;

namespace cardinal::proof {

Operation *opAt(func::FuncOp f, int64_t index) {
  Operation *found = nullptr;
  int64_t i = 0;
  f.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (i++ == index) {
      found = op;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

int64_t indexOf(func::FuncOp f, Operation *target) {
  int64_t i = 0, found = -1;
  f.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op == target) {
      found = i;
      return WalkResult::interrupt();
    }
    ++i;
    return WalkResult::advance();
  });
  return found;
}

// Tries every rule at every op; applies the first match.
static bool stepOnce(func::FuncOp f, std::vector<Step> &steps) {
  std::vector<Operation *> ops;
  f.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) { ops.push_back(op); });
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!isa<nn::AddOp, nn::ConcatOp>(ops[i]))
      continue;
    for (const RuleInfo &rule : rules()) {
      auto step = applyRule(rule.id, ops[i]);
      if (succeeded(step)) {
        step->site = i;
        steps.push_back(std::move(*step));
        return true;
      }
    }
  }
  return false;
}

Certificate prove(func::FuncOp source, func::FuncOp target) {
  Certificate cert;
  // Bounded: each rule removes ops or merges a family; 10k is far beyond any block.
  for (int guard = 0; guard < 10000; ++guard) {
    cert.final = matchGraphs(source, target);
    if (cert.final.equal || !stepOnce(source, cert.steps))
      break;
  }
  return cert;
}

static bool sameEntries(const ParamMap &a, const ParamMap &b) {
  if (a.entries.size() != b.entries.size())
    return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const ParamMapEntry &x = a.entries[i], &y = b.entries[i];
    if (x.target != y.target || x.shape != y.shape || x.axis != y.axis ||
        x.pieces.size() != y.pieces.size())
      return false;
    for (size_t j = 0; j < x.pieces.size(); ++j)
      if (x.pieces[j].source != y.pieces[j].source ||
          x.pieces[j].axis != y.pieces[j].axis ||
          x.pieces[j].start != y.pieces[j].start ||
          x.pieces[j].size != y.pieces[j].size)
        return false;
  }
  return true;
}

bool checkCertificate(func::FuncOp source, func::FuncOp target,
                      const std::vector<Step> &steps, std::string &error) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step &s = steps[i];
    std::string where = "step " + std::to_string(i + 1) + " (" +
                        ruleInfo(s.rule).name + " at op #" +
                        std::to_string(s.site) + ")";
    Operation *site = opAt(source, s.site);
    if (!site) {
      error = where + ": no op at that position";
      return false;
    }
    auto replayed = applyRule(s.rule, site);
    if (failed(replayed)) {
      error = where + ": the rule does not match there ('" +
              site->getName().getStringRef().str() + "')";
      return false;
    }
    if (!sameEntries(replayed->params, s.params)) {
      error = where + ": the rule creates other parameters than recorded";
      return false;
    }
  }
  GraphMatch m = matchGraphs(source, target);
  if (!m.equal) {
    error = "after all steps the graphs differ: " + m.mismatch;
    return false;
  }
  return true;
}

} // namespace cardinal::proof
