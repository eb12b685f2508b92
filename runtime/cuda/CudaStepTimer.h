//===- CudaStepTimer.h - per-call GPU time of a generated training step ---===//
//
// The StepTimer of CUDA trainers (`trainer bench --profile`): each mark
// records an event on the compute stream, so the interval between two
// marks is the GPU time of the work enqueued between them (plus any time
// the GPU waited for the host to enqueue it). endStep records a last event,
// waits for it and adds the intervals to their calls. Events are created on
// first use and reused every step.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CUDASTEPTIMER_H
#define CARDINAL_RUNTIME_CUDA_CUDASTEPTIMER_H

#include "runtime/cuda/CudaKernels.h"
#include "runtime/trainer/StepTimer.h"

#include <vector>

namespace cardinal::rt::cuda {

class CudaStepTimer final : public StepTimer {
public:
  CudaStepTimer(cudaStream_t stream, const std::vector<CallName> &calls)
      : StepTimer(calls), stream_(stream) {}
  ~CudaStepTimer() override {
    for (cudaEvent_t e : events_)
      cudaEventDestroy(e);
  }
  CudaStepTimer(const CudaStepTimer &) = delete;
  CudaStepTimer &operator=(const CudaStepTimer &) = delete;

  void mark(int call) override {
    if (marks_.size() == events_.size()) {
      cudaEvent_t e = nullptr;
      checkCuda(cudaEventCreate(&e), "cudaEventCreate (profile)");
      events_.push_back(e);
    }
    checkCuda(cudaEventRecord(events_[marks_.size()], stream_),
              "cudaEventRecord (profile)");
    marks_.push_back(call);
  }

  void endStep() override {
    mark(-1);
    checkCuda(cudaEventSynchronize(events_[marks_.size() - 1]),
              "the profiled training step");
    for (size_t k = 0; k + 1 < marks_.size(); ++k) {
      float ms = 0;
      checkCuda(cudaEventElapsedTime(&ms, events_[k], events_[k + 1]),
                "cudaEventElapsedTime (profile)");
      const int call = marks_[k];
      if (call >= 0 && call < static_cast<int>(calls_.size()))
        calls_[call].seconds += 1e-3 * ms;
    }
    marks_.clear();
    ++steps_;
  }

private:
  cudaStream_t stream_;
  std::vector<cudaEvent_t> events_;
  std::vector<int> marks_; // the call of each event recorded this step
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CUDASTEPTIMER_H
