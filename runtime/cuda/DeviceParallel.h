//===- DeviceParallel.h - data parallelism of a CUDA trainer on its GPU ----===//
//
// What a generated CUDA model's attachDataParallel (CompiledModel.h) sets
// up: an NcclCommunicator over the run's communicator (MPI ranks, one GPU
// each), so that
//  - gradients are averaged on the device while backward still runs: the
//    generated step reports each gradient as soon as its last kernel is
//    enqueued, and once the reported ones fill a bucket (GradientBuckets.h,
//    25 MiB) one NCCL group of ncclAvg all-reduces over them starts on
//    NCCL's stream after that kernel, overlapping the rest of backward; the
//    SGD update waits for the last one on the device, and the host checks
//    them with the communicator's deadline once the step is enqueued (no
//    host copies; the CPU trainers' bucketed host all-reduce is for host
//    memory), and
//  - with --sync-bn, every BN statistic and BN-gradient sum is exchanged
//    over NCCL (Context::bnSync = CommBnSync).
// CARDINAL_NCCL=0 keeps everything on the run's communicator instead:
// gradients through the host hooks (host copies), --sync-bn staged through
// host memory. Header-only: generated .cu trainers include it and link
// CardinalRuntimeNccl; the kernel library does not depend on NCCL.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_DEVICEPARALLEL_H
#define CARDINAL_RUNTIME_CUDA_DEVICEPARALLEL_H

#include "runtime/comm/GradientBuckets.h"
#include "runtime/comm/NcclCommunicator.h"
#include "runtime/cuda/CommBnSync.h"
#include "runtime/cuda/EnvSwitch.h"
#include "runtime/trainer/CompiledModel.h"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cardinal::rt::cuda {

/// CARDINAL_NCCL: unset or "1" uses NCCL, "0" does not; else throws.
inline bool ncclRequested() {
  return envSwitch("CARDINAL_NCCL", true,
                   "average gradients and sync BN on the GPUs over NCCL");
}

class DeviceDataParallel {
public:
  /// `gradients`: the step's gradients (device pointers) in the order the
  /// step reports them by index.
  DeviceDataParallel(Context &ctx, Communicator &comm, bool syncBn,
                     std::vector<GradientSpan> gradients)
      : ctx_(ctx), buckets_(std::move(gradients)) {
    if (ncclRequested()) {
      try {
        nccl_ = std::make_unique<NcclCommunicator>(comm, ctx.device);
      } catch (const std::runtime_error &e) {
        throw std::runtime_error(
            std::string(e.what()) +
            "; CARDINAL_NCCL=0 runs data parallelism over " + comm.name() +
            " with host copies instead");
      }
      took_.gradients = true;
    }
    if (syncBn) {
      bnSync_ = std::make_unique<CommBnSync>(
          nccl_ ? static_cast<Communicator &>(*nccl_) : comm, nccl_ != nullptr);
      ctx.bnSync = bnSync_.get();
      took_.syncBn = true;
    }
  }
  ~DeviceDataParallel() {
    cudaStreamSynchronize(ctx_.stream); // nothing in flight uses bnSync_
    ctx_.bnSync = nullptr;
  }
  DeviceDataParallel(const DeviceDataParallel &) = delete;
  DeviceDataParallel &operator=(const DeviceDataParallel &) = delete;

  CompiledModel::DeviceParallelism took() const { return took_; }

  // Only when took().gradients, each step: gradientReady for the reported
  // gradients (as backward enqueues their last kernels), finishGradients
  // before the update, waitCollectives once the step is enqueued.

  /// Gradient `index`'s last kernel is enqueued on ctx.stream.
  void gradientReady(int64_t index) {
    start(buckets_.ready(index));
  }
  /// Backward is enqueued: the rest starts, and ctx.stream (the SGD update)
  /// waits for every all-reduce of the step.
  void finishGradients() {
    start(buckets_.finish());
    nccl_->joinInto(ctx_.stream);
    ++time_.steps;
  }
  /// The host's deadline check of the step's all-reduces; the time it
  /// waits is what overlap left exposed.
  void waitCollectives() {
    const auto begin = std::chrono::steady_clock::now();
    nccl_->waitStarted();
    time_.gradientSeconds += std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - begin)
                                 .count();
  }

  CompiledModel::DeviceCommTime time() const {
    CompiledModel::DeviceCommTime t = time_;
    if (bnSync_)
      t.bnSeconds = bnSync_->seconds();
    return t;
  }

private:
  void start(const std::vector<GradientSpan> &bucket) {
    if (!bucket.empty())
      nccl_->startMean(bucket, ctx_.stream);
  }

  Context &ctx_;
  GradientBuckets buckets_;
  std::unique_ptr<NcclCommunicator> nccl_;
  std::unique_ptr<CommBnSync> bnSync_;
  CompiledModel::DeviceParallelism took_;
  CompiledModel::DeviceCommTime time_;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_DEVICEPARALLEL_H
