//===- StepGraph.h - replaying a training step as a CUDA graph -------------===//
//
// A ResNeXt training step is about a thousand small launches (three per BN,
// several per fused conv); at ResNeXt-50's shapes on a Hopper GPU the host
// spends a few microseconds on each, which the GPU can outrun. A CUDA graph
// of the step costs one launch to replay. Generated CUDA trainers enqueue
// their step through StepGraphs::run:
//  - the first `kWarmupSteps` steps run eagerly: they autotune cuDNN, time
//    the grouped-conv candidates and size every lazily grown buffer, none of
//    which may happen inside a capture;
//  - then each input slot's step is captured once (stream capture of
//    ctx.stream) and replayed; when what the captured kernels baked in
//    changes (the hyper-parameters, which are kernel arguments, or a buffer
//    the library re-allocated) the step is captured again and the
//    executable graph updated in place (cudaGraphExecUpdate), or rebuilt;
//  - steps that synchronize midway (data parallelism's collectives and host
//    hooks) always run eagerly.
// If a capture fails (an operation that cannot be captured), the step runs
// eagerly, graphs are switched off for the run and one warning says why.
// These decisions are StepGraphPolicy.h's (tested on the host); this file
// adds the CUDA calls.
// Opt-in while unmeasured on a GPU: CARDINAL_CUDA_GRAPHS=1 (0 or unset:
// off; anything else is an error naming the variable).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_STEPGRAPH_H
#define CARDINAL_RUNTIME_CUDA_STEPGRAPH_H

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/EnvSwitch.h"
#include "runtime/cuda/StepGraphPolicy.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {

/// Records `event` on ctx.stream so the host can wait for it even when the
/// recording is being captured into a graph (an external event node).
inline void recordStepEvent(Context &ctx, cudaEvent_t event, const char *what) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  checkCuda(cudaStreamIsCapturing(ctx.stream, &status), what);
  checkCuda(status == cudaStreamCaptureStatusActive
                ? cudaEventRecordWithFlags(event, ctx.stream,
                                           cudaEventRecordExternal)
                : cudaEventRecord(event, ctx.stream),
            what);
}

/// CARDINAL_CUDA_GRAPHS: "1" on; unset or "0" off; anything else throws.
inline bool cudaGraphsRequested() {
  return envSwitch("CARDINAL_CUDA_GRAPHS", false,
                   "replay the training step as a CUDA graph");
}

class StepGraphs {
public:
  StepGraphs() = default;
  ~StepGraphs() { release(); }
  StepGraphs(const StepGraphs &) = delete;
  StepGraphs &operator=(const StepGraphs &) = delete;

  /// Destroys the executable graphs (before the model's context goes);
  /// says how they were used, since they were asked for.
  void release() {
    if (enabled_ == 1 && policy_.steps() > 0)
      std::fprintf(stderr,
                   "CUDA graphs: %lld steps, %lld captures, %lld replays\n",
                   static_cast<long long>(policy_.steps()),
                   static_cast<long long>(policy_.captures()),
                   static_cast<long long>(policy_.replays()));
    for (cudaGraphExec_t &exec : execs_) {
      if (exec)
        cudaGraphExecDestroy(exec);
      exec = nullptr;
    }
    policy_ = StepGraphPolicy(kWarmupSteps, kSlots);
  }
  /// Enqueues one step on ctx.stream: `enqueue()` itself, or a replay of
  /// its capture for input slot `slot` with these hyper-parameters.
  /// `eager`: this step synchronizes midway (collectives, hooks).
  template <typename Enqueue>
  void run(Context &ctx, int slot, const StepHyper &hyper, bool eager,
           Enqueue &&enqueue) {
    if (enabled_ < 0) // read on first use: a bad value fails the step,
      enabled_ = cudaGraphsRequested(); // which the trainer reports
    const StepGraphKey key = keyOf(ctx, hyper);
    switch (policy_.next(enabled_ == 1, eager, slot, key)) {
    case StepAction::Eager:
      enqueue();
      return;
    case StepAction::Capture:
      if (!capture(ctx, execs_[slot], enqueue)) {
        policy_.failed();
        enqueue(); // graphs are off now; this step still has to run
        return;
      }
      policy_.captured(slot, key);
      break;
    case StepAction::Replay:
      break;
    }
    checkCuda(cudaGraphLaunch(execs_[slot], ctx.stream),
              "cudaGraphLaunch (step)");
  }

private:
  static constexpr int kWarmupSteps = 2; // one per input slot
  static constexpr int kSlots = 2;

  static StepGraphKey keyOf(const Context &ctx, const StepHyper &h) {
    StepGraphKey k;
    k.lr = h.lr, k.momentum = h.momentum, k.weightDecay = h.weightDecay;
    k.workspace = ctx.workspace;
    k.normalized = ctx.normalized;
    k.normalizedBytes = ctx.normalizedBytes;
    return k;
  }

  /// Captures enqueue() into `exec` (updated in place when the topology
  /// allows). False, with a warning, if anything fails.
  template <typename Enqueue>
  bool capture(Context &ctx, cudaGraphExec_t &exec, Enqueue &enqueue) {
    cudaGraph_t graph = nullptr;
    std::string failure;
    cudaError_t e =
        cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) {
      failure = std::string("cudaStreamBeginCapture: ") +
                cudaGetErrorString(e);
    } else {
      try {
        enqueue();
      } catch (const std::exception &ex) {
        failure = ex.what();
      }
      e = cudaStreamEndCapture(ctx.stream, &graph);
      if (failure.empty() && e != cudaSuccess)
        failure = std::string("cudaStreamEndCapture: ") +
                  cudaGetErrorString(e);
    }
    if (failure.empty())
      failure = instantiate(exec, graph);
    if (graph)
      cudaGraphDestroy(graph);
    if (failure.empty())
      return true;
    cudaGetLastError(); // the failed capture's error is not sticky: clear it
    std::fprintf(stderr,
                 "warning: CUDA graphs turned off for this run (the step "
                 "runs eagerly): %s\n",
                 failure.c_str());
    return false;
  }

  static std::string instantiate(cudaGraphExec_t &exec, cudaGraph_t graph) {
    if (exec) {
      cudaGraphExecUpdateResultInfo info;
      if (cudaGraphExecUpdate(exec, graph, &info) == cudaSuccess)
        return {};
      cudaGetLastError();
      cudaGraphExecDestroy(exec);
      exec = nullptr;
    }
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    if (e == cudaSuccess)
      return {};
    exec = nullptr;
    return std::string("cudaGraphInstantiate: ") + cudaGetErrorString(e);
  }

  int enabled_ = -1; // CARDINAL_CUDA_GRAPHS, read on the first step
  StepGraphPolicy policy_{kWarmupSteps, kSlots};
  cudaGraphExec_t execs_[kSlots] = {};
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_STEPGRAPH_H
