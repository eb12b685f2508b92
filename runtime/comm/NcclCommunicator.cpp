//===- NcclCommunicator.cpp - one rank per GPU over NCCL -------------------===//

#include "runtime/comm/NcclCommunicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace cardinal::rt {

struct NcclCommunicator::Impl {
  Communicator *bootstrap = nullptr;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  int device = 0, rank = 0, size = 1;
  double timeout = 60;
  int *scratch = nullptr; // one int on the device, for barrier()
  // startMean / joinInto: cross-stream ordering (an event may be recorded
  // again as soon as a wait on it has been enqueued).
  cudaEvent_t after = nullptr, done = nullptr;

  std::string where() const {
    return "rank " + std::to_string(rank) + "/" + std::to_string(size) +
           " (GPU " + std::to_string(device) + ")";
  }
  void cuda(cudaError_t e, const char *what) const {
    if (e != cudaSuccess)
      throw std::runtime_error(where() + ": " + what +
                               " failed: " + cudaGetErrorString(e));
  }
  void nccl(ncclResult_t r, const std::string &what) {
    if (r == ncclSuccess || r == ncclInProgress)
      return;
    throw std::runtime_error(where() + ": " + what +
                             " failed: " + ncclGetErrorString(r) +
                             (r == ncclSystemError || r == ncclRemoteError
                                  ? std::string(" (") +
                                        ncclGetLastError(comm) + ")"
                                  : std::string()));
  }

  /// Waits for the stream: NCCL errors and the deadline end the job.
  void wait(const std::string &what) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    int spins = 0;
    for (;;) {
      const cudaError_t q = cudaStreamQuery(stream);
      if (q == cudaSuccess)
        return;
      if (q != cudaErrorNotReady)
        cuda(q, ("waiting for " + what).c_str());
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm, &async);
      if (async != ncclSuccess && async != ncclInProgress) {
        const std::string message =
            where() + ": " + what + " failed: " + ncclGetErrorString(async);
        ncclCommAbort(comm);
        comm = nullptr;
        bootstrap->abort("cardinal: " + message, 1);
      }
      const double elapsed =
          std::chrono::duration<double>(Clock::now() - start).count();
      if (elapsed > timeout) {
        char line[512];
        std::snprintf(line, sizeof line,
                      "cardinal: %s: %s did not complete within %g s "
                      "(--comm-timeout); a peer rank has probably died or "
                      "hung. Aborting the job.",
                      where().c_str(), what.c_str(), timeout);
        ncclCommAbort(comm);
        comm = nullptr;
        bootstrap->abort(line, 1);
      }
      if (++spins > 1000)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  /// One group of in-place ncclAvg all-reduces on `stream`.
  void enqueueMean(const std::vector<GradientSpan> &spans) {
    int64_t floats = 0;
    for (const GradientSpan &s : spans)
      floats += s.size;
    if (floats == 0)
      return;
    const std::string what = "ncclAllReduce (mean of " +
                             std::to_string(spans.size()) + " tensors, " +
                             std::to_string(floats) + " floats)";
    nccl(ncclGroupStart(), "ncclGroupStart");
    for (const GradientSpan &s : spans)
      if (s.size > 0)
        nccl(ncclAllReduce(s.data, s.data, static_cast<size_t>(s.size),
                           ncclFloat32, ncclAvg, comm, stream),
             what);
    nccl(ncclGroupEnd(), what);
  }

  void allReduce(void *data, int64_t n, ncclDataType_t type,
                 const char *typeName) {
    if (n == 0)
      return;
    const std::string what = std::string("ncclAllReduce (") + typeName +
                             ", " + std::to_string(n) + ")";
    nccl(ncclAllReduce(data, data, static_cast<size_t>(n), type, ncclSum, comm,
                       stream),
         what);
    wait(what);
  }
};

NcclCommunicator::NcclCommunicator(Communicator &bootstrap, int device,
                                   double timeoutSeconds)
    : impl_(std::make_unique<Impl>()) {
  Impl &m = *impl_;
  m.bootstrap = &bootstrap;
  m.rank = bootstrap.rank();
  m.size = bootstrap.size();
  m.device = device;
  if (!(timeoutSeconds > 0))
    throw std::runtime_error("NCCL collective timeout must be > 0 seconds");
  m.timeout = timeoutSeconds;
  m.cuda(cudaSetDevice(device), "cudaSetDevice");
  m.cuda(cudaStreamCreateWithFlags(&m.stream, cudaStreamNonBlocking),
         "cudaStreamCreate");
  m.cuda(cudaMalloc(reinterpret_cast<void **>(&m.scratch), sizeof(int)),
         "cudaMalloc");
  m.cuda(cudaEventCreateWithFlags(&m.after, cudaEventDisableTiming),
         "cudaEventCreate");
  m.cuda(cudaEventCreateWithFlags(&m.done, cudaEventDisableTiming),
         "cudaEventCreate");
  ncclUniqueId id{};
  if (m.rank == 0)
    m.nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  bootstrap.broadcast(&id, sizeof id, 0);
  m.nccl(ncclCommInitRank(&m.comm, m.size, id, m.rank), "ncclCommInitRank");
}

NcclCommunicator::~NcclCommunicator() {
  Impl &m = *impl_;
  if (m.comm) {
    ncclCommFinalize(m.comm);
    ncclCommDestroy(m.comm);
  }
  if (m.scratch)
    cudaFree(m.scratch);
  if (m.after)
    cudaEventDestroy(m.after);
  if (m.done)
    cudaEventDestroy(m.done);
  if (m.stream)
    cudaStreamDestroy(m.stream);
}

int NcclCommunicator::rank() const { return impl_->rank; }
int NcclCommunicator::size() const { return impl_->size; }
int NcclCommunicator::localRank() const {
  return impl_->bootstrap->localRank();
}
int NcclCommunicator::localSize() const {
  return impl_->bootstrap->localSize();
}
int NcclCommunicator::device() const { return impl_->device; }
void *NcclCommunicator::stream() const { return impl_->stream; }

void NcclCommunicator::allReduceSum(float *data, int64_t n) {
  impl_->allReduce(data, n, ncclFloat32, "float");
}
void NcclCommunicator::allReduceSum(double *data, int64_t n) {
  impl_->allReduce(data, n, ncclFloat64, "double");
}
void NcclCommunicator::allReduceSum(int64_t *data, int64_t n) {
  impl_->allReduce(data, n, ncclInt64, "int64");
}

void NcclCommunicator::startMean(const std::vector<GradientSpan> &spans,
                                 void *after) {
  Impl &m = *impl_;
  m.cuda(cudaEventRecord(m.after, static_cast<cudaStream_t>(after)),
         "cudaEventRecord");
  m.cuda(cudaStreamWaitEvent(m.stream, m.after, 0), "cudaStreamWaitEvent");
  m.enqueueMean(spans);
}

void NcclCommunicator::joinInto(void *stream) {
  Impl &m = *impl_;
  m.cuda(cudaEventRecord(m.done, m.stream), "cudaEventRecord");
  m.cuda(cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), m.done, 0),
         "cudaStreamWaitEvent");
}

void NcclCommunicator::waitStarted() {
  impl_->wait("the gradient all-reduces started during backward");
}

void NcclCommunicator::broadcast(void *data, int64_t bytes, int root) {
  Impl &m = *impl_;
  if (root < 0 || root >= m.size)
    throw std::runtime_error(m.where() + ": broadcast from rank " +
                             std::to_string(root) + ", which does not exist");
  if (bytes == 0)
    return;
  const std::string what = "ncclBroadcast (" + std::to_string(bytes) +
                           " bytes from rank " + std::to_string(root) + ")";
  m.nccl(ncclBroadcast(data, data, static_cast<size_t>(bytes), ncclUint8, root,
                       m.comm, m.stream),
         what);
  m.wait(what);
}

void NcclCommunicator::barrier() {
  Impl &m = *impl_;
  m.cuda(cudaMemsetAsync(m.scratch, 0, sizeof(int), m.stream),
         "cudaMemsetAsync");
  m.allReduce(m.scratch, 1, ncclInt32, "barrier");
}

void NcclCommunicator::abort(const std::string &message, int code) {
  Impl &m = *impl_;
  if (m.comm) {
    ncclCommAbort(m.comm);
    m.comm = nullptr;
  }
  m.bootstrap->abort(message, code);
  std::_Exit(code); // not reached: abort() does not return
}

int NcclCommunicator::deviceForLocalRank(int localRank) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess)
    throw std::runtime_error(std::string("cudaGetDeviceCount failed: ") +
                             cudaGetErrorString(e));
  if (count == 0)
    throw std::runtime_error("no CUDA device is visible");
  return localRank % count;
}

std::string NcclCommunicator::versionString() {
  int nccl = 0, runtime = 0;
  ncclGetVersion(&nccl);
  cudaRuntimeGetVersion(&runtime);
  const int major = nccl / 10000, minor = (nccl % 10000) / 100,
            patch = nccl % 100;
  return "NCCL " + std::to_string(major) + "." + std::to_string(minor) + "." +
         std::to_string(patch) + ", CUDA runtime " +
         std::to_string(runtime / 1000) + "." +
         std::to_string((runtime % 1000) / 10);
}

} // namespace cardinal::rt
