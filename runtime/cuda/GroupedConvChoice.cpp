//===- GroupedConvChoice.cpp - time generated vs cuDNN once, cache, report -===//
//
// The grouped family of ConvChoice.h: its ops, candidates and override,
// its cache in ctx.convAlgos. Host code (g++).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/GroupedConvChoice.h"
#include "runtime/cuda/ConvAlgoCache.h"

#include <cstdio>

namespace cardinal::rt::cuda {

const char *groupedConvOpName(GroupedConvOp op) {
  switch (op) {
  case GroupedConvOp::Forward:
    return "forward";
  case GroupedConvOp::BackwardData:
    return "backward data";
  case GroupedConvOp::BackwardWeight:
    return "backward weight";
  case GroupedConvOp::StatsForward:
    return "forward + stats";
  case GroupedConvOp::BnReluStatsForward:
    return "BN+ReLU, forward + stats";
  case GroupedConvOp::BnReluForward:
    return "BN+ReLU, forward";
  case GroupedConvOp::BnReluBackwardWeight:
    return "BN+ReLU, backward weight";
  }
  return "?";
}

const std::vector<std::string> &groupedConvCandidates() {
  static const std::vector<std::string> names = {"generated", "cudnn"};
  return names;
}

ChoicePolicy groupedConvPolicyFromEnv() {
  return choicePolicyFromEnv("CARDINAL_GROUPED_CONV", groupedConvCandidates());
}

const char *groupedConvOpName(int64_t op) {
  return groupedConvOpName(static_cast<GroupedConvOp>(op));
}

void runFasterGroupedConv(Context &ctx, const ConvShape &s, int64_t dataType,
                          GroupedConvOp op, RunRef generated, RunRef cudnn,
                          std::initializer_list<DeviceBytes> restored) {
  runFasterConv(ctx, ctx.convAlgos->grouped, groupedConvKey(s, dataType, op),
                "grouped 3x3 conv", groupedConvOpName(op), {generated, cudnn},
                restored);
}

void printGroupedConvChoices(const Context &ctx, std::FILE *out) {
  printConvChoices(ctx.convAlgos->grouped, "grouped 3x3 conv",
                   "CARDINAL_GROUPED_CONV", groupedConvOpName, out);
}

} // namespace cardinal::rt::cuda
