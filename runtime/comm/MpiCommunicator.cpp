//===- MpiCommunicator.cpp - MPI ranks -------------------------------------===//

// The C API only: Open MPI's deprecated C++ bindings would need -lmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include "runtime/comm/MpiCommunicator.h"

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace cardinal::rt {
namespace {

using Clock = std::chrono::steady_clock;

std::string mpiErrorString(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
    return "MPI error " + std::to_string(rc);
  return std::string(text, len);
}

std::string hostName() {
  char name[256] = "";
  if (::gethostname(name, sizeof name - 1) != 0)
    return "?";
  return name;
}

/// The provided thread level, MPI initialized once per process. Finalized
/// at exit only if we initialized it (a program that called MPI_Init itself
/// also finalizes).
int ensureMpi() {
  static int provided = [] {
    int initialized = 0, level = MPI_THREAD_SINGLE;
    MPI_Initialized(&initialized);
    if (initialized) {
      MPI_Query_thread(&level);
      return level;
    }
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
      throw std::runtime_error("MPI was already finalized in this process");
    const int rc =
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &level);
    if (rc != MPI_SUCCESS)
      throw std::runtime_error("MPI_Init_thread failed: " +
                               mpiErrorString(rc));
    std::atexit([] {
      int done = 0;
      MPI_Finalized(&done);
      if (!done)
        MPI_Finalize();
    });
    return level;
  }();
  return provided;
}

} // namespace

struct MpiCommunicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1, localRank = 0, localSize = 1;
  bool threadMultiple = false;
  std::string host;

  // Watchdog: collectives set `deadlineNs` (steady clock; 0 = idle) and
  // `what`; a thread polls a few times per timeout period.
  std::atomic<double> timeout{MpiCommunicator::kDefaultTimeoutSeconds};
  std::atomic<int64_t> deadlineNs{0};
  std::mutex whatMutex;
  std::string what;
  std::mutex stopMutex;
  std::condition_variable stopCv;
  bool stop = false;
  std::thread watchdog;

  static int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               Clock::now().time_since_epoch())
        .count();
  }

  std::string where() const {
    return "rank " + std::to_string(rank) + "/" + std::to_string(size);
  }

  void arm(std::string op) {
    {
      std::lock_guard<std::mutex> lock(whatMutex);
      what = std::move(op);
    }
    deadlineNs.store(nowNs() + static_cast<int64_t>(timeout.load() * 1e9),
                     std::memory_order_release);
  }
  void disarm() { deadlineNs.store(0, std::memory_order_release); }

  void watch() {
    std::unique_lock<std::mutex> lock(stopMutex);
    while (!stop) {
      const double period = std::min(1.0, std::max(0.01, timeout.load() / 20));
      stopCv.wait_for(lock, std::chrono::duration<double>(period));
      if (stop)
        break;
      const int64_t deadline = deadlineNs.load(std::memory_order_acquire);
      if (deadline == 0 || nowNs() < deadline)
        continue;
      std::string op;
      {
        std::lock_guard<std::mutex> wl(whatMutex);
        op = what;
      }
      std::fprintf(stderr,
                   "cardinal: %s (host %s, pid %ld): %s did not complete "
                   "within %g s (--comm-timeout); a peer rank has probably "
                   "died or hung. Aborting the job.\n",
                   where().c_str(), host.c_str(),
                   static_cast<long>(::getpid()), op.c_str(), timeout.load());
      std::fflush(stderr);
      if (threadMultiple)
        MPI_Abort(MPI_COMM_WORLD, 1);
      // Without MPI_THREAD_MULTIPLE no MPI call is safe from this thread;
      // exiting without MPI_Finalize makes the launcher end the job.
      std::_Exit(1);
    }
  }

  void check(int rc, const std::string &op) {
    if (rc != MPI_SUCCESS)
      throw std::runtime_error(where() + ": " + op +
                               " failed: " + mpiErrorString(rc));
  }

  template <typename T>
  void allReduce(T *data, int64_t n, MPI_Datatype type, const char *typeName) {
    constexpr int64_t kChunk = int64_t(1) << 30;
    for (int64_t first = 0; first < n; first += kChunk) {
      const int count = static_cast<int>(std::min(kChunk, n - first));
      const std::string op = std::string("MPI_Allreduce (") + typeName +
                             ", " + std::to_string(count) + ")";
      arm(op);
      const int rc = MPI_Allreduce(MPI_IN_PLACE, data + first, count, type,
                                   MPI_SUM, comm);
      disarm();
      check(rc, op);
    }
  }
};

MpiCommunicator::MpiCommunicator(double timeoutSeconds)
    : impl_(std::make_unique<Impl>()) {
  const int level = ensureMpi();
  Impl &m = *impl_;
  m.threadMultiple = level >= MPI_THREAD_MULTIPLE;
  m.host = hostName();
  setTimeoutSeconds(timeoutSeconds);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  m.check(MPI_Comm_dup(MPI_COMM_WORLD, &m.comm), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(m.comm, MPI_ERRORS_RETURN);
  m.check(MPI_Comm_rank(m.comm, &m.rank), "MPI_Comm_rank");
  m.check(MPI_Comm_size(m.comm, &m.size), "MPI_Comm_size");
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(m.comm, MPI_COMM_TYPE_SHARED, m.rank,
                          MPI_INFO_NULL, &node) == MPI_SUCCESS &&
      node != MPI_COMM_NULL) {
    MPI_Comm_rank(node, &m.localRank);
    MPI_Comm_size(node, &m.localSize);
    MPI_Comm_free(&node);
  }
  m.watchdog = std::thread([&m] { m.watch(); });
}

MpiCommunicator::~MpiCommunicator() {
  Impl &m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.stopMutex);
    m.stop = true;
  }
  m.stopCv.notify_all();
  if (m.watchdog.joinable())
    m.watchdog.join();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && m.comm != MPI_COMM_NULL)
    MPI_Comm_free(&m.comm);
}

int MpiCommunicator::rank() const { return impl_->rank; }
int MpiCommunicator::size() const { return impl_->size; }
int MpiCommunicator::localRank() const { return impl_->localRank; }
int MpiCommunicator::localSize() const { return impl_->localSize; }
double MpiCommunicator::timeoutSeconds() const { return impl_->timeout; }

void MpiCommunicator::setTimeoutSeconds(double seconds) {
  if (!(seconds > 0))
    throw std::runtime_error("MPI collective timeout must be > 0 seconds");
  impl_->timeout = seconds;
}

void MpiCommunicator::allReduceSum(float *data, int64_t n) {
  impl_->allReduce(data, n, MPI_FLOAT, "float");
}
void MpiCommunicator::allReduceSum(double *data, int64_t n) {
  impl_->allReduce(data, n, MPI_DOUBLE, "double");
}
void MpiCommunicator::allReduceSum(int64_t *data, int64_t n) {
  impl_->allReduce(data, n, MPI_INT64_T, "int64");
}

namespace {

// An MPI_Iallreduce in flight; wait() runs under the watchdog.
class MpiPending final : public Communicator::Pending {
public:
  MpiPending(MpiCommunicator::Impl &m, MPI_Request request, std::string op)
      : m_(m), request_(request), op_(std::move(op)) {}
  ~MpiPending() override {
    if (request_ != MPI_REQUEST_NULL)
      MPI_Request_free(&request_);
  }
  bool test() override {
    if (request_ == MPI_REQUEST_NULL)
      return true;
    int done = 0;
    m_.check(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), op_);
    return done != 0;
  }
  void wait() override {
    if (request_ == MPI_REQUEST_NULL)
      return;
    m_.arm(op_);
    const int rc = MPI_Wait(&request_, MPI_STATUS_IGNORE);
    m_.disarm();
    m_.check(rc, op_);
  }

private:
  MpiCommunicator::Impl &m_;
  MPI_Request request_;
  std::string op_;
};

} // namespace

std::unique_ptr<Communicator::Pending>
MpiCommunicator::startAllReduceSum(float *data, int64_t n) {
  if (n > (int64_t(1) << 30)) // past int counts: the chunked blocking path
    return Communicator::startAllReduceSum(data, n);
  Impl &m = *impl_;
  const std::string op = "MPI_Iallreduce (float, " + std::to_string(n) + ")";
  MPI_Request request = MPI_REQUEST_NULL;
  m.check(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_FLOAT,
                         MPI_SUM, m.comm, &request),
          op);
  return std::make_unique<MpiPending>(m, request, op);
}

void MpiCommunicator::broadcast(void *data, int64_t bytes, int root) {
  Impl &m = *impl_;
  if (root < 0 || root >= m.size)
    throw std::runtime_error(m.where() + ": broadcast from rank " +
                             std::to_string(root) + ", which does not exist");
  constexpr int64_t kChunk = int64_t(1) << 30;
  char *p = static_cast<char *>(data);
  for (int64_t first = 0; first < bytes; first += kChunk) {
    const int count = static_cast<int>(std::min(kChunk, bytes - first));
    const std::string op = "MPI_Bcast (" + std::to_string(count) +
                           " bytes from rank " + std::to_string(root) + ")";
    m.arm(op);
    const int rc = MPI_Bcast(p + first, count, MPI_BYTE, root, m.comm);
    m.disarm();
    m.check(rc, op);
  }
}

void MpiCommunicator::barrier() {
  Impl &m = *impl_;
  m.arm("MPI_Barrier");
  const int rc = MPI_Barrier(m.comm);
  m.disarm();
  m.check(rc, "MPI_Barrier");
}

void MpiCommunicator::abort(const std::string &message, int code) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

} // namespace cardinal::rt
