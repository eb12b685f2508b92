//===- MpiCommunicator.h - MPI ranks (Open MPI, MPICH) ---------------------===//
//
// A Communicator over a duplicate of MPI_COMM_WORLD.
//
//  - MPI is initialized on first use (MPI_Init_thread, requesting
//    MPI_THREAD_MULTIPLE for the watchdog below) unless the program already
//    did, and finalized at exit if this library initialized it.
//  - Errors return (MPI_ERRORS_RETURN) and become std::runtime_error with the
//    MPI error string: "rank 1/2: MPI_Allreduce (float, 1024) failed: ...".
//  - Watchdog: every collective is armed with a deadline of `timeoutSeconds`.
//    A collective that has not finished by then (a peer died without the
//    launcher noticing, hung, or is stuck far behind) prints
//      "cardinal: rank R/N (host H, pid P): MPI_Allreduce (...) did not
//       complete within T s; a peer rank has probably died or hung; aborting
//       the job"
//    and calls MPI_Abort from the watchdog thread (with MPI_THREAD_MULTIPLE;
//    otherwise it _exit()s, which makes mpirun end the job), so no rank
//    waits forever.
//  - The sum all-reduces are MPI_Allreduce(MPI_IN_PLACE, MPI_SUM); Open MPI's
//    algorithms give every rank the same bits for a commutative op. Counts
//    above INT_MAX are split.
//
// Nothing MPI leaks into this header: trainers include it without MPI's
// include path and link libCardinalRuntimeComm.a with -lmpi.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_COMM_MPICOMMUNICATOR_H
#define CARDINAL_RUNTIME_COMM_MPICOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

#include <memory>

namespace cardinal::rt {

class MpiCommunicator final : public Communicator {
public:
  /// Default --comm-timeout.
  static constexpr double kDefaultTimeoutSeconds = 60;

  /// Initializes MPI if needed. Throws std::runtime_error if it cannot.
  explicit MpiCommunicator(double timeoutSeconds = kDefaultTimeoutSeconds);
  ~MpiCommunicator() override;

  int rank() const override;
  int size() const override;
  std::string name() const override { return "mpi"; }
  void allReduceSum(float *data, int64_t n) override;
  void allReduceSum(double *data, int64_t n) override;
  void allReduceSum(int64_t *data, int64_t n) override;
  /// MPI_Iallreduce; wait() is watched by the same deadline.
  std::unique_ptr<Pending> startAllReduceSum(float *data, int64_t n) override;
  void broadcast(void *data, int64_t bytes, int root) override;
  void barrier() override;
  [[noreturn]] void abort(const std::string &message, int code) override;

  double timeoutSeconds() const;
  /// Changes the watchdog deadline of later collectives (> 0).
  void setTimeoutSeconds(double seconds);

  /// Ranks sharing this host (MPI_COMM_TYPE_SHARED).
  int localRank() const override;
  int localSize() const override;

  /// Opaque (MpiCommunicator.cpp): MPI handles, the watchdog.
  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_COMM_MPICOMMUNICATOR_H
