//===- DeviceParallel.h - data parallelism of a CUDA trainer on its GPU ----===//
//
// What a generated CUDA model's attachDataParallel (CompiledModel.h) sets
// up: an NcclCommunicator over the run's communicator (MPI ranks, one GPU
// each), so that
//  - gradients are averaged on the device, in one NCCL group of ncclAvg
//    all-reduces after backward (no host copies; the CPU trainers' bucketed
//    host all-reduce is for host memory), and
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
  DeviceDataParallel(Context &ctx, Communicator &comm, bool syncBn)
      : ctx_(ctx) {
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

  /// After backward, before the update: every gradient (device pointers)
  /// becomes its mean over the ranks. Only when took().gradients.
  void averageGradients(const std::vector<GradientSpan> &grads) {
    synchronize(ctx_); // backward has written them; NCCL has its own stream
    const auto start = std::chrono::steady_clock::now();
    nccl_->allReduceMean(grads);
    time_.gradientSeconds += std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
    ++time_.steps;
  }

  CompiledModel::DeviceCommTime time() const {
    CompiledModel::DeviceCommTime t = time_;
    if (bnSync_)
      t.bnSeconds = bnSync_->seconds();
    return t;
  }

private:
  Context &ctx_;
  std::unique_ptr<NcclCommunicator> nccl_;
  std::unique_ptr<CommBnSync> bnSync_;
  CompiledModel::DeviceParallelism took_;
  CompiledModel::DeviceCommTime time_;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_DEVICEPARALLEL_H
