//===- CommBnSync.h - synchronized BN's collectives over a Communicator ----===//
//
// The BnSync (CudaKernels.h) that generated CUDA trainers install for
// --sync-bn, over the trainer's Communicator:
//  - NCCL (`devicePointers`): the collectives run on the device buffers
//    themselves, after ctx.stream has finished producing them
//    (NcclCommunicator's calls return once the collective is complete, so
//    what ctx.stream runs next sees the result);
//  - MPI: the buffers are staged through host memory.
// An all-gather is an all-reduce of a zeroed R x n buffer in which each
// rank fills its own row: exact (x + 0 = x), needs no collective beyond the
// Communicator's sum, and the buffers are a few KiB (3 floats a channel).
// Header-only: included by generated .cu trainers, which link the comm
// library; the CUDA kernel library itself does not depend on it.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_COMMBNSYNC_H
#define CARDINAL_RUNTIME_CUDA_COMMBNSYNC_H

#include "runtime/comm/Communicator.h"
#include "runtime/cuda/CudaKernels.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace cardinal::rt::cuda {

class CommBnSync final : public BnSync {
public:
  CommBnSync(Communicator &comm, bool devicePointers)
      : comm_(comm), device_(devicePointers) {}

  int ranks() const override { return comm_.size(); }
  /// Seconds spent in the collectives themselves (not in waiting for
  /// ctx.stream to produce their inputs).
  double seconds() const { return seconds_; }

  void allGather(Context &ctx, const float *send, float *recv,
                 int64_t n) override {
    const int64_t total = n * comm_.size();
    const size_t rowBytes = sizeof(float) * static_cast<size_t>(n);
    if (device_) {
      checkCuda(cudaMemsetAsync(recv, 0, sizeof(float) * total, ctx.stream),
                "sync-bn all-gather (zero)");
      checkCuda(cudaMemcpyAsync(recv + comm_.rank() * n, send, rowBytes,
                                cudaMemcpyDeviceToDevice, ctx.stream),
                "sync-bn all-gather (own row)");
      reduce(ctx, recv, total);
      return;
    }
    host_.assign(static_cast<size_t>(total), 0.f);
    copy(ctx, host_.data() + comm_.rank() * n, send, rowBytes,
         cudaMemcpyDeviceToHost);
    timed([&] { comm_.allReduceSum(host_.data(), total); });
    copy(ctx, recv, host_.data(), sizeof(float) * total,
         cudaMemcpyHostToDevice);
  }

  void allReduceSum(Context &ctx, float *data, int64_t n) override {
    if (device_) {
      reduce(ctx, data, n);
      return;
    }
    host_.resize(static_cast<size_t>(n));
    copy(ctx, host_.data(), data, sizeof(float) * n, cudaMemcpyDeviceToHost);
    timed([&] { comm_.allReduceSum(host_.data(), n); });
    copy(ctx, data, host_.data(), sizeof(float) * n, cudaMemcpyHostToDevice);
  }

private:
  void reduce(Context &ctx, float *deviceData, int64_t n) {
    synchronize(ctx); // NCCL runs on its own stream
    timed([&] { comm_.allReduceSum(deviceData, n); });
  }
  template <typename F> void timed(F &&collective) {
    const auto start = std::chrono::steady_clock::now();
    collective();
    seconds_ += std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  }
  // Synchronous both ways: host_ is reused by the next call.
  static void copy(Context &ctx, float *to, const float *from, size_t bytes,
                   cudaMemcpyKind kind) {
    checkCuda(cudaMemcpyAsync(to, from, bytes, kind, ctx.stream),
              "sync-bn staging copy");
    synchronize(ctx);
  }

  Communicator &comm_;
  bool device_;
  std::vector<float> host_;
  double seconds_ = 0;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_COMMBNSYNC_H
