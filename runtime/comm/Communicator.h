//===- Communicator.h - collectives for data-parallel training -------------===//
//
// What data parallelism needs from a transport: rank and size, in-place sum
// all-reduces, a broadcast, a barrier and a way to bring every rank down
// after a fatal error. Implementations wrap trusted engines only:
//
//   LocalCommunicator  one process (size 1): every collective is a no-op
//   MpiCommunicator    MPI ranks on CPUs (MpiCommunicator.h; mpirun)
//   NcclCommunicator   one rank per GPU, device buffers, bootstrapped over
//                      another Communicator (NcclCommunicator.h; separate
//                      library CardinalRuntimeNccl so CPU trainers never link
//                      CUDA)
//
// Contract for every implementation: a collective is called by all ranks in
// the same order with the same counts; on return every rank holds the same
// bytes (the all-reduce result is bit-identical across ranks, which keeps
// data-parallel replicas bit-identical). Failures throw std::runtime_error
// whose message names the rank and the operation; a collective that cannot
// complete (a dead or hung peer) does not hang forever: the implementation's
// timeout ends the job with a message naming the rank.
//
// Plain C++17: this header includes no MPI, CUDA or NCCL header.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_COMM_COMMUNICATOR_H
#define CARDINAL_RUNTIME_COMM_COMMUNICATOR_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cardinal::rt {

/// `size` floats at `data` (host or device memory, as the Communicator takes).
struct GradientSpan {
  float *data = nullptr;
  int64_t size = 0;
};

class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "local", "mpi", "nccl".
  virtual std::string name() const = 0;
  /// This rank's index among the ranks on its host, and their number.
  virtual int localRank() const { return 0; }
  virtual int localSize() const { return 1; }

  /// In place: data[i] = sum over ranks of data[i]. `n` may be 0.
  virtual void allReduceSum(float *data, int64_t n) = 0;
  virtual void allReduceSum(double *data, int64_t n) = 0;
  virtual void allReduceSum(int64_t *data, int64_t n) = 0;
  /// Copies `bytes` bytes at `data` on rank `root` to `data` on every rank.
  /// A started all-reduce: test() drives it (MPI progresses inside calls),
  /// wait() finishes it. The buffer must stay untouched until then.
  class Pending {
  public:
    virtual ~Pending() = default;
    virtual bool test() { return true; }
    virtual void wait() {}
  };
  /// Starts an in-place sum; the default runs it to completion at once.
  virtual std::unique_ptr<Pending> startAllReduceSum(float *data, int64_t n) {
    allReduceSum(data, n);
    return std::make_unique<Pending>();
  }

  virtual void broadcast(void *data, int64_t bytes, int root) = 0;
  virtual void barrier() = 0;

  /// Ends this process and every other rank's after a fatal error on this
  /// one: prints `message` (one line, as given) to stderr, then aborts the
  /// job (MPI_Abort) with exit status `code`. Never returns.
  [[noreturn]] virtual void abort(const std::string &message, int code) = 0;

  /// "rank R/N" for messages.
  std::string where() const {
    return "rank " + std::to_string(rank()) + "/" + std::to_string(size());
  }
};

/// Size 1: all collectives are no-ops; abort() prints and exits.
class LocalCommunicator final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "local"; }
  void allReduceSum(float *, int64_t) override {}
  void allReduceSum(double *, int64_t) override {}
  void allReduceSum(int64_t *, int64_t) override {}
  void broadcast(void *, int64_t, int root) override;
  void barrier() override {}
  [[noreturn]] void abort(const std::string &message, int code) override;
};

/// Which communicator a trainer uses (--ranks).
enum class RanksMode {
  Auto,  ///< MPI when launched by mpirun/srun (launchedByMpi()), else local
  Local, ///< one process, even under mpirun (every rank trains alone)
  Mpi,   ///< MPI_COMM_WORLD (a singleton run when started without mpirun)
};

/// Parses "auto" | "local" | "mpi".
bool parseRanksMode(const std::string &text, RanksMode &out);

/// True when an MPI launcher started this process: OMPI_COMM_WORLD_SIZE
/// (Open MPI), PMI_SIZE / PMI_RANK (MPICH, Intel MPI, Slurm PMI-1/2) or
/// PMIX_RANK (PMIx launchers).
bool launchedByMpi();

/// The communicator for `mode`. MPI is initialized on first use (and
/// finalized at exit); `timeoutSeconds` bounds every MPI collective (see
/// MpiCommunicator.h). Throws std::runtime_error if MPI cannot start.
std::unique_ptr<Communicator> createCommunicator(RanksMode mode,
                                                 double timeoutSeconds);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_COMM_COMMUNICATOR_H
