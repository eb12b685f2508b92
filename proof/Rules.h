//===- Rules.h - the library of local identities the prover may use --------===//
//
// Each rule is an equation between two small graphs, with the map that says
// how the right side's parameters are made from the left side's. The prover
// applies rules left to right at a *site* (an nn.concat or the root of an
// nn.add tree); a certificate is the list of (rule, site, parameter map).
// Every rule is checked exactly over GF(2^61-1) in tests/proof.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PROOF_RULES_H
#define CARDINAL_PROOF_RULES_H

#include "passes/ParamMap.h"

#include "mlir/IR/Operation.h"

#include <string>
#include <vector>

namespace cardinal::proof {

enum class RuleId {
  SumOfConvsToConvOfConcat, // Σ conv(x_i, W_i) = conv(concat x_i, concat_in W_i)
  ChannelwiseReluConcat,    // concat(relu x_i) = relu(concat x_i)
  ChannelwiseBnConcat,      // concat(BN_i x_i) = BN(concat x_i), γ,β,μ,σ² concat
  ConcatOfConvsToConv,      // concat(conv(x, W_i)) = conv(x, concat_out W_i)
  SliceOfConcat,            // y_i = slice_i(concat(y_0..y_{C-1}))
  ConvsOnSlicesToGrouped,   // concat(conv(slice_i X, W_i)) = conv(X, concat W_i, groups C)
};

struct RuleInfo {
  RuleId id;
  const char *name;      // stable name used in certificates
  const char *equation;  // the identity, for readers
  const char *paramMap;  // how parameters map, for readers
};

/// The rule table, in a fixed order.
const std::vector<RuleInfo> &rules();
const RuleInfo &ruleInfo(RuleId id);
/// Looks a rule up by its certificate name; nullptr if unknown.
const RuleInfo *findRule(const std::string &name);

/// One applied rule: what, where, and the parameters it merged.
struct Step {
  RuleId rule;
  int64_t site;          // index of the site op in the function's pre-order walk
  std::string siteOp;    // e.g. "nn.concat"
  std::string siteDesc;  // e.g. "relu x4 -> 1 relu"
  ParamMap params;       // entries for the parameters this step created
};

/// Tries `rule` at `site`; on success rewrites the IR in place and returns
/// the step (with `site` left for the caller to fill). Returns failure and
/// leaves the IR untouched when the rule does not match there.
mlir::FailureOr<Step> applyRule(RuleId rule, mlir::Operation *site);


} // namespace cardinal::proof

#endif // CARDINAL_PROOF_RULES_H
