//===- GroupedConvChoice.cpp - time generated vs cuDNN once, cache, report -===//
//
// The library side of GroupedConvChoice.h: KernelChoice with cudaEvent
// timing on ctx.stream, device-buffer save/restore between trial runs, the
// cache in ctx.convAlgos, and the choice table. Host code (g++).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/GroupedConvChoice.h"
#include "runtime/cuda/ConvAlgoCache.h"

#include <cmath>
#include <cstdio>
#include <string>

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

namespace {

/// Milliseconds `run` takes on ctx.stream (events around it; waits).
double timeOnStream(Context &ctx, RunRef run) {
  ConvAlgoCache &cache = *ctx.convAlgos;
  if (!cache.timingStart) {
    checkCuda(cudaEventCreate(&cache.timingStart), "cudaEventCreate");
    checkCuda(cudaEventCreate(&cache.timingStop), "cudaEventCreate");
  }
  checkCuda(cudaEventRecord(cache.timingStart, ctx.stream), "cudaEventRecord");
  run();
  checkCuda(cudaEventRecord(cache.timingStop, ctx.stream), "cudaEventRecord");
  checkCuda(cudaEventSynchronize(cache.timingStop), "cudaEventSynchronize");
  float ms = 0.f;
  checkCuda(cudaEventElapsedTime(&ms, cache.timingStart, cache.timingStop),
            "cudaEventElapsedTime");
  return ms;
}

std::string shapeText(const ConvKey &k) {
  // convKey's order: n c h w o kh kw sh sw ph pw dh dw groups oh ow type op
  const char *type = k[16] == CUDNN_DATA_FLOAT      ? "fp32"
                     : k[16] == CUDNN_DATA_BFLOAT16 ? "bf16"
                                                    : "?";
  char text[160];
  std::snprintf(text, sizeof text,
                "n %lld, %lld -> %lld channels, %lld groups, %lldx%lld, "
                "stride %lld, %s",
                static_cast<long long>(k[0]), static_cast<long long>(k[1]),
                static_cast<long long>(k[4]), static_cast<long long>(k[13]),
                static_cast<long long>(k[2]), static_cast<long long>(k[3]),
                static_cast<long long>(k[7]), type);
  return text;
}

std::string msText(const ChoiceRecord &r, size_t i) {
  if (!r.failures[i].empty())
    return "failed";
  if (std::isnan(r.ms[i]))
    return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", r.ms[i]);
  return text;
}

} // namespace

void runFasterGroupedConv(Context &ctx, const ConvShape &s, int64_t dataType,
                          GroupedConvOp op, RunRef generated, RunRef cudnn,
                          std::initializer_list<DeviceBytes> restored) {
  KernelChoice<ConvKey> &choice = ctx.convAlgos->grouped;
  const ConvKey key = groupedConvKey(s, dataType, op);
  if (!choice.find(key)) {
    // Timing waits for events, which a stream being captured into a CUDA
    // graph cannot do: undecided layers run the preferred candidate there
    // and are timed on their first call outside a capture.
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    checkCuda(cudaStreamIsCapturing(ctx.stream, &capture),
              "cudaStreamIsCapturing");
    if (capture != cudaStreamCaptureStatusNone) {
      const ChoicePolicy policy = choice.policy();
      (policy.isAuto() || policy.forced == 0 ? generated : cudnn)();
      return;
    }
  }
  // Trials only: one stream-ordered scratch copy of `restored`.
  char *saved = nullptr;
  auto save = [&] {
    size_t total = 0;
    for (const DeviceBytes &b : restored)
      total += b.data ? b.bytes : 0;
    if (!total)
      return;
    checkCuda(cudaMallocAsync(reinterpret_cast<void **>(&saved), total,
                              ctx.stream),
              "cudaMallocAsync(grouped conv trial)");
    size_t at = 0;
    for (const DeviceBytes &b : restored)
      if (b.data) {
        checkCuda(cudaMemcpyAsync(saved + at, b.data, b.bytes,
                                  cudaMemcpyDeviceToDevice, ctx.stream),
                  "cudaMemcpyAsync(grouped conv trial save)");
        at += b.bytes;
      }
  };
  auto restore = [&] {
    size_t at = 0;
    for (const DeviceBytes &b : restored)
      if (b.data && saved) {
        checkCuda(cudaMemcpyAsync(b.data, saved + at, b.bytes,
                                  cudaMemcpyDeviceToDevice, ctx.stream),
                  "cudaMemcpyAsync(grouped conv trial restore)");
        at += b.bytes;
      }
  };
  auto timer = [&](RunRef run) { return timeOnStream(ctx, run); };
  const size_t known = choice.records().size();
  try {
    const ChoiceRecord &r =
        choice.run(key, {generated, cudnn}, timer, save, restore);
    if (choice.records().size() != known)
      for (size_t i = 0; i < r.failures.size(); ++i)
        if (!r.failures[i].empty())
          std::fprintf(stderr,
                       "cardinal: grouped 3x3 conv (%s; %s): the %s "
                       "candidate failed (%s); running %s\n",
                       shapeText(key).c_str(), groupedConvOpName(op),
                       choice.names()[i].c_str(), r.failures[i].c_str(),
                       choice.names()[r.winner].c_str());
  } catch (...) {
    if (saved)
      cudaFreeAsync(saved, ctx.stream);
    throw;
  }
  if (saved)
    checkCuda(cudaFreeAsync(saved, ctx.stream), "cudaFreeAsync");
}

void printGroupedConvChoices(const Context &ctx, std::FILE *out) {
  const KernelChoice<ConvKey> &choice = ctx.convAlgos->grouped;
  if (choice.records().empty())
    return;
  const ChoicePolicy policy = choice.policy();
  std::fprintf(out,
               "grouped 3x3 conv choices (CARDINAL_GROUPED_CONV=%s; ms: best "
               "of %d timed runs after a warm-up):\n\n",
               policy.isAuto() ? "auto"
                               : choice.names()[policy.forced].c_str(),
               choice.timedRuns());
  std::fprintf(out, "| layer | op | generated ms | cuDNN ms | winner |\n"
                    "|---|---|---|---|---|\n");
  int generatedWins = 0;
  for (const auto &[key, r] : choice.records()) {
    generatedWins += r.winner == 0;
    std::fprintf(out, "| %s | %s | %s | %s | %s%s |\n",
                 shapeText(key).c_str(),
                 groupedConvOpName(static_cast<GroupedConvOp>(key.back())),
                 msText(r, 0).c_str(), msText(r, 1).c_str(),
                 choice.names()[r.winner].c_str(),
                 r.timed ? "" : " (forced)");
  }
  std::fprintf(out, "generated kernel chosen for %d of %zu grouped 3x3 calls\n",
               generatedWins, choice.records().size());
}

} // namespace cardinal::rt::cuda
