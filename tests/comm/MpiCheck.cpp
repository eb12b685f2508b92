//===- MpiCheck.cpp - MpiCommunicator under mpirun -np 2 -------------------===//
//
//   mpirun -np 2 comm-mpi-check allreduce   sums, broadcast, barrier, bucketed
//                                           gradient averaging: exact values,
//                                           identical bytes on every rank
//   mpirun -np 2 comm-mpi-check sync-bn     the BN kernels with the MPI
//                                           reducer on two halves == the local
//                                           kernels on the whole batch
//   mpirun -np 2 comm-mpi-check hang T      rank 1 never joins a barrier;
//                                           rank 0's watchdog (timeout T s)
//                                           must abort the job
//
// Prints "<mode> ok" on rank 0 and exits 0 on success; any failed check
// throws, and the error aborts the job (exit 1).
//
//===----------------------------------------------------------------------===//
#include "runtime/comm/GradientAllReduce.h"
#include "runtime/comm/MpiCommunicator.h"
#include "runtime/kernels/BatchNorm.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace cardinal::rt;

namespace {

void require(bool ok, const std::string &what) {
  if (!ok)
    throw std::runtime_error("check failed: " + what);
}

/// Every rank holds the same bytes as rank 0.
void requireSameOnAllRanks(Communicator &comm, const void *data, int64_t bytes,
                           const std::string &what) {
  std::vector<char> mine(static_cast<const char *>(data),
                         static_cast<const char *>(data) + bytes);
  std::vector<char> lead = mine;
  comm.broadcast(lead.data(), bytes, 0);
  int64_t differ = mine != lead;
  comm.allReduceSum(&differ, 1);
  require(differ == 0, what + ": ranks hold different bytes");
}

void checkAllReduce(MpiCommunicator &comm) {
  const int r = comm.rank(), n = comm.size();
  require(n == 2, "2 ranks (got " + std::to_string(n) + ")");
  require(comm.localSize() == 2 && comm.localRank() == r, "local rank/size");
  for (int64_t len : {int64_t(0), int64_t(1), int64_t(1000), int64_t(3) << 20}) {
    std::vector<float> f(len);
    for (int64_t i = 0; i < len; ++i)
      f[i] = static_cast<float>((r + 1) * (i % 1000 + 1)) * 0.5f;
    comm.allReduceSum(f.data(), len);
    for (int64_t i = 0; i < len; ++i)
      require(f[i] == 1.5f * static_cast<float>(i % 1000 + 1),
              "float sum, n = " + std::to_string(len));
  }
  std::vector<double> d = {0.1 * (r + 1), -1e300 * (r + 1)};
  comm.allReduceSum(d.data(), 2);
  require(d[0] == 0.1 + 0.2 && d[1] == -3e300, "double sum");
  std::vector<int64_t> k = {(int64_t(1) << 40) + r, -r};
  comm.allReduceSum(k.data(), 2);
  require(k[0] == (int64_t(1) << 41) + 1 && k[1] == -1, "int64 sum");

  char text[32] = "";
  if (r == 1)
    std::snprintf(text, sizeof text, "from rank one");
  comm.broadcast(text, sizeof text, 1);
  require(std::string(text) == "from rank one", "broadcast from rank 1");
  comm.broadcast(text, 0, 0); // empty
  bool threw = false;
  try {
    comm.broadcast(text, 1, 2);
  } catch (const std::runtime_error &e) {
    threw = std::string(e.what()).find("rank 2") != std::string::npos;
  }
  require(threw, "broadcast from a rank that does not exist throws");
  comm.barrier();

  // Gradients of the shapes a model has (one over a bucket), values that
  // round differently: every rank must end with the same bits, the average.
  GradientAllReducer reducer(comm, 64 << 10);
  const std::vector<int64_t> sizes = {144, 16, 16, 2304, 40000, 7, 1280, 10};
  std::vector<std::vector<float>> grads;
  std::vector<GradientSpan> spans;
  std::mt19937 gen(1234 + r);
  std::normal_distribution<float> dist(0, 1);
  std::vector<std::vector<float>> mine;
  for (int64_t s : sizes) {
    grads.emplace_back(s);
    for (float &v : grads.back())
      v = dist(gen);
    mine.push_back(grads.back());
  }
  for (auto &g : grads)
    spans.push_back({g.data(), static_cast<int64_t>(g.size())});
  reducer.averageInPlace(spans);
  // The 40000 in place, then one bucket with all the others.
  require(reducer.lastCalls() == 2,
          "2 all-reduces; got " + std::to_string(reducer.lastCalls()));
  for (size_t t = 0; t < sizes.size(); ++t) {
    // The originals summed again, unbucketed: the mean must match exactly.
    std::vector<float> sum = mine[t];
    comm.allReduceSum(sum.data(), sum.size());
    for (size_t i = 0; i < sum.size(); ++i)
      require(grads[t][i] == sum[i] / 2.0f, "gradient mean");
    requireSameOnAllRanks(comm, grads[t].data(), grads[t].size() * sizeof(float),
                          "gradient " + std::to_string(t));
  }
}

struct BnOut {
  std::vector<float> y, mean, invStd, rm, rv, dx, dscale, dshift;
};

BnOut runBn(const ActShape &s, const float *x, const float *dy,
            const float *scale, const float *shift) {
  BnOut o{std::vector<float>(s.size()), std::vector<float>(s.c),
          std::vector<float>(s.c), std::vector<float>(s.c, 0.25f),
          std::vector<float>(s.c, 2.0f), std::vector<float>(s.size()),
          std::vector<float>(s.c), std::vector<float>(s.c)};
  batchNormForwardTrain<float>(s, x, scale, shift, 1e-5f, 0.1f, o.y.data(),
                               o.mean.data(), o.invStd.data(), o.rm.data(),
                               o.rv.data());
  batchNormBackward<float>(s, x, dy, scale, o.mean.data(), o.invStd.data(),
                           o.dx.data(), o.dscale.data(), o.dshift.data());
  return o;
}

void requireClose(const float *a, const float *b, int64_t n, double tol,
                  const std::string &what) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  require(diff <= tol * std::max(scale, 1e-30),
          what + ": relative difference " + std::to_string(diff / scale));
}

void checkSyncBn(MpiCommunicator &comm) {
  const int r = comm.rank();
  const ActShape full{8, 6, 5, 5}, half{4, 6, 5, 5};
  std::mt19937 gen(99); // the same full batch on every rank
  std::normal_distribution<float> dist(1.0f, 3.0f);
  std::vector<float> x(full.size()), dy(full.size()), scale(full.c),
      shift(full.c);
  for (auto &v : x)
    v = dist(gen);
  for (auto &v : dy)
    v = dist(gen) * 0.01f;
  for (int64_t c = 0; c < full.c; ++c) {
    scale[c] = 0.5f + 0.25f * c;
    shift[c] = 0.1f * c;
  }
  const BnOut ref = runBn(full, x.data(), dy.data(), scale.data(), shift.data());

  setBatchNormReduce(
      [](double *data, int64_t n, void *c) {
        static_cast<Communicator *>(c)->allReduceSum(data, n);
      },
      &comm);
  const int64_t off = r * half.size();
  const BnOut mine = runBn(half, x.data() + off, dy.data() + off, scale.data(),
                           shift.data());
  setBatchNormReduce(nullptr, nullptr);

  requireClose(mine.y.data(), ref.y.data() + off, half.size(), 1e-6, "y");
  requireClose(mine.mean.data(), ref.mean.data(), full.c, 1e-6, "batch mean");
  requireClose(mine.invStd.data(), ref.invStd.data(), full.c, 1e-6, "invstd");
  requireClose(mine.rm.data(), ref.rm.data(), full.c, 1e-6, "running mean");
  requireClose(mine.rv.data(), ref.rv.data(), full.c, 1e-6, "running var");
  requireClose(mine.dx.data(), ref.dx.data() + off, half.size(), 1e-5, "dx");
  // Local parameter gradients add up to the whole batch's.
  std::vector<float> dscale = mine.dscale, dshift = mine.dshift;
  comm.allReduceSum(dscale.data(), full.c);
  comm.allReduceSum(dshift.data(), full.c);
  requireClose(dscale.data(), ref.dscale.data(), full.c, 1e-5, "dscale");
  requireClose(dshift.data(), ref.dshift.data(), full.c, 1e-5, "dshift");
  requireSameOnAllRanks(comm, mine.rv.data(), full.c * sizeof(float),
                        "running var");
}

} // namespace

int main(int argc, char **argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const double timeout = mode == "hang" && argc > 2 ? std::stod(argv[2]) : 30;
  MpiCommunicator comm(timeout);
  try {
    if (mode == "allreduce") {
      checkAllReduce(comm);
    } else if (mode == "sync-bn") {
      checkSyncBn(comm);
    } else if (mode == "hang") {
      if (comm.rank() == 1)
        std::this_thread::sleep_for(std::chrono::seconds(120));
      comm.barrier();
      throw std::runtime_error("the barrier returned without rank 1");
    } else {
      throw std::runtime_error("usage: comm-mpi-check allreduce|sync-bn|hang T");
    }
  } catch (const std::exception &e) {
    comm.abort("comm-mpi-check: " + comm.where() + ": " + e.what(), 1);
  }
  comm.barrier();
  if (comm.rank() == 0)
    std::printf("%s ok\n", mode.c_str());
  return 0;
}
