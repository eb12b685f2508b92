//===- NcclCommunicator.h - one rank per GPU over NCCL ---------------------===//
//
// A Communicator whose collectives run on GPUs with NCCL: every data
// pointer passed to allReduceSum / broadcast is a *device* pointer on this
// rank's GPU. One process (or thread) per GPU; multi-node by bootstrapping
// over another Communicator: rank 0 creates the ncclUniqueId and broadcasts
// it through `bootstrap` (an MpiCommunicator under mpirun), then every rank
// joins with ncclCommInitRank.
//
// Collectives are enqueued on the communicator's own CUDA stream (stream(),
// for generated CUDA code to order its kernels against) and waited for with
// a deadline: while waiting, cudaStreamQuery and ncclCommGetAsyncError are
// polled; an NCCL error or a collective that has not finished within
// `timeoutSeconds` calls ncclCommAbort and then bootstrap.abort() with a
// message naming the rank and the operation, so no rank hangs forever.
//
// Built only when CUDA and NCCL are found, into CardinalRuntimeNccl (links
// CUDA::cudart and libnccl): CPU trainers never link CUDA. No CUDA or NCCL
// header is included here.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_COMM_NCCLCOMMUNICATOR_H
#define CARDINAL_RUNTIME_COMM_NCCLCOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

#include <memory>
#include <string>

namespace cardinal::rt {

class NcclCommunicator final : public Communicator {
public:
  /// Joins the NCCL communicator of bootstrap.size() ranks (rank =
  /// bootstrap.rank()) on CUDA device `device` (see deviceForLocalRank).
  /// `bootstrap` must outlive this object. Throws std::runtime_error naming
  /// the rank and the failing CUDA / NCCL call.
  NcclCommunicator(Communicator &bootstrap, int device,
                   double timeoutSeconds = 60);
  ~NcclCommunicator() override;

  int rank() const override;
  int size() const override;
  std::string name() const override { return "nccl"; }
  /// The bootstrap's.
  int localRank() const override;
  int localSize() const override;
  /// Device pointers.
  void allReduceSum(float *data, int64_t n) override;
  void allReduceSum(double *data, int64_t n) override;
  void allReduceSum(int64_t *data, int64_t n) override;
  /// Overlapping collectives with compute (device pointers; `stream` is a
  /// cudaStream_t): startMean enqueues one NCCL group of in-place ncclAvg
  /// all-reduces, one per span, to run once the work enqueued so far on
  /// `after` is done, and returns at once;
  /// joinInto makes `stream` wait, on the device, for every collective
  /// started so far; waitStarted waits for them on the host, with the
  /// deadline (a dead or hung peer ends the job, as in the blocking calls).
  void startMean(const std::vector<GradientSpan> &spans, void *after);
  void joinInto(void *stream);
  void waitStarted();
  void broadcast(void *data, int64_t bytes, int root) override;
  void barrier() override;
  [[noreturn]] void abort(const std::string &message, int code) override;

  int device() const;
  /// The cudaStream_t collectives run on.
  void *stream() const;

  /// localRank % (number of visible CUDA devices); throws if there is none.
  static int deviceForLocalRank(int localRank);
  /// "NCCL 2.28.x, CUDA runtime 13.0" (no device needed).
  static std::string versionString();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_COMM_NCCLCOMMUNICATOR_H
