//===- ConvChoice.cpp - time equivalent conv calls once, cache, report ----===//
//
// The library side of ConvChoice.h: KernelChoice with cudaEvent timing on
// ctx.stream, device-buffer save/restore between trial runs, and the choice
// tables. Host code (g++).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/ConvChoice.h"
#include "runtime/cuda/ConvAlgoCache.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace cardinal::rt::cuda {

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

void runFasterConv(Context &ctx, KernelChoice<ConvKey> &choice,
                   const ConvKey &key, const char *family, const char *op,
                   std::initializer_list<RunRef> candidates,
                   std::initializer_list<DeviceBytes> restored) {
  if (!choice.find(key)) {
    // Timing waits for events, which a stream being captured into a CUDA
    // graph cannot do: undecided layers run the preferred candidate there
    // and are timed on their first call outside a capture.
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    checkCuda(cudaStreamIsCapturing(ctx.stream, &capture),
              "cudaStreamIsCapturing");
    if (capture != cudaStreamCaptureStatusNone) {
      const ChoicePolicy policy = choice.policy();
      candidates.begin()[policy.isAuto() ? 0 : policy.forced]();
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
              "cudaMallocAsync(conv trial)");
    size_t at = 0;
    for (const DeviceBytes &b : restored)
      if (b.data) {
        checkCuda(cudaMemcpyAsync(saved + at, b.data, b.bytes,
                                  cudaMemcpyDeviceToDevice, ctx.stream),
                  "cudaMemcpyAsync(conv trial save)");
        at += b.bytes;
      }
  };
  auto restore = [&] {
    size_t at = 0;
    for (const DeviceBytes &b : restored)
      if (b.data && saved) {
        checkCuda(cudaMemcpyAsync(b.data, saved + at, b.bytes,
                                  cudaMemcpyDeviceToDevice, ctx.stream),
                  "cudaMemcpyAsync(conv trial restore)");
        at += b.bytes;
      }
  };
  auto timer = [&](RunRef run) { return timeOnStream(ctx, run); };
  const size_t known = choice.records().size();
  try {
    const ChoiceRecord &r =
        choice.run(key, candidates, timer, save, restore);
    if (choice.records().size() != known)
      for (size_t i = 0; i < r.failures.size(); ++i)
        if (!r.failures[i].empty())
          std::fprintf(stderr,
                       "cardinal: %s (%s; %s): the %s candidate failed "
                       "(%s); running %s\n",
                       family, shapeText(key).c_str(), op,
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

void printConvChoices(const KernelChoice<ConvKey> &choice, const char *family,
                      const char *variable, const char *(*opName)(int64_t),
                      std::FILE *out) {
  if (choice.records().empty())
    return;
  const ChoicePolicy policy = choice.policy();
  std::fprintf(out,
               "%s choices (%s=%s; ms: best of %d timed runs after a "
               "warm-up):\n\n",
               family, variable,
               policy.isAuto() ? "auto"
                               : choice.names()[policy.forced].c_str(),
               choice.timedRuns());
  std::fprintf(out, "| layer | op |");
  for (const std::string &name : choice.names())
    std::fprintf(out, " %s ms |", name.c_str());
  std::fprintf(out, " winner |\n|---|---|");
  for (size_t i = 0; i < choice.names().size(); ++i)
    std::fprintf(out, "---|");
  std::fprintf(out, "---|\n");
  int firstWins = 0;
  for (const auto &[key, r] : choice.records()) {
    firstWins += r.winner == 0;
    std::fprintf(out, "| %s | %s |", shapeText(key).c_str(),
                 opName(key.back()));
    for (size_t i = 0; i < choice.names().size(); ++i)
      std::fprintf(out, " %s |", msText(r, i).c_str());
    std::fprintf(out, " %s%s |\n", choice.names()[r.winner].c_str(),
                 r.timed ? "" : " (forced)");
  }
  std::fprintf(out, "%s chosen for %d of %zu %s calls\n",
               choice.names()[0].c_str(), firstWins, choice.records().size(),
               family);
}

} // namespace cardinal::rt::cuda
