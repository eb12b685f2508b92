//===- Parallel.h - data-parallel training over a Communicator -------------===//
//
// What `train` does differently on N ranks (mpirun -np N trainer train ...):
//
//  - Replicas: rank 0 initializes (or resumes) and every tensor — parameters,
//    BN running statistics, momentum buffers — is broadcast from it, so all
//    ranks start bit-identical.
//  - Data: rank r trains on slice r of the per-epoch shuffle (Batcher rank /
//    worldSize, dropLast: every rank runs the same number of steps). The
//    global mini-batch is N × the batch the trainer was built for.
//  - Gradients: the model's gradient hook (called after backward, before the
//    SGD update) averages every gradient over the ranks in ~4 MiB buckets
//    (GradientAllReducer). Every rank then applies the same update to the
//    same weights: parameters and momentum buffers stay bit-identical after
//    every step (checked by a hash at every epoch end).
//  - BN: batch statistics are per rank (the paper: per-GPU BN), and so are
//    the running statistics during the epoch; at each epoch end rank 0's
//    running statistics are broadcast (like PyTorch DDP's buffer broadcast),
//    so evaluation and checkpoints see one model. With --sync-bn the BN
//    kernels reduce their per-channel sums over the ranks
//    (setBatchNormReduce): batch statistics, running statistics and BN
//    gradients are those of the whole global batch.
//  - A model on a device (a CUDA trainer) may take the gradient average
//    and the BN synchronization over (CompiledModel::attachDataParallel:
//    NCCL on device buffers, no host copies); the hooks above are then not
//    installed and its own timers are reported.
//  - Timers: seconds spent in gradient all-reduce and in BN reductions,
//    reported per step at each epoch end.
//
// Not overlapped with backward: the generated trainStep calls the gradient
// hook once, after the whole backward pass. Overlap needs a per-layer hook
// from codegen (call it as soon as a bucket's last gradient is final).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_PARALLEL_H
#define CARDINAL_RUNTIME_TRAINER_PARALLEL_H

#include "runtime/comm/Communicator.h"
#include "runtime/comm/GradientAllReduce.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace cardinal::rt {

class DataParallel {
public:
  /// Installs the gradient hook (size > 1) and, with `syncBn`, the BN
  /// reducer; the destructor removes both.
  DataParallel(Communicator &comm, CompiledModel &model, bool syncBn);
  ~DataParallel();
  DataParallel(const DataParallel &) = delete;
  DataParallel &operator=(const DataParallel &) = delete;

  Communicator &comm() { return comm_; }
  bool lead() const { return comm_.rank() == 0; }
  int size() const { return comm_.size(); }
  bool syncBn() const { return syncBn_; }

  /// Every tensor (kinds in `kinds`, a bit set of 1 << Kind) from rank 0.
  void broadcastTensors(unsigned kinds = kAllKinds);
  static constexpr unsigned kAllKinds = 7;
  static constexpr unsigned bit(NamedTensor::Kind k) {
    return 1u << static_cast<unsigned>(k);
  }

  /// A hash of every tensor's bytes in tensors() order.
  uint64_t tensorHash();
  /// Compares every rank's tensorHash() with rank 0's; returns how many
  /// ranks differed (0: all identical), after re-broadcasting rank 0's
  /// tensors if any did.
  int64_t checkReplicas();

  /// Seconds in the gradient hook's all-reduce and in BN reductions since
  /// the last resetTimers(), and the gradient hook calls (steps).
  /// A model that averages on its device (CompiledModel::
  /// attachDataParallel) reports its own time and steps, added here.
  double gradientSeconds() const {
    return gradientSeconds_ + deviceSince().gradientSeconds;
  }
  double bnSeconds() const { return bnSeconds_ + deviceSince().bnSeconds; }
  int64_t hookCalls() const { return hookCalls_ + deviceSince().steps; }
  void resetTimers() {
    gradientSeconds_ = bnSeconds_ = 0, hookCalls_ = 0;
    deviceBase_ = model_.deviceCommTime();
  }

private:
  static void reduceBn(double *data, int64_t n, void *self);
  CompiledModel::DeviceCommTime deviceSince() const {
    CompiledModel::DeviceCommTime now = model_.deviceCommTime();
    now.gradientSeconds -= deviceBase_.gradientSeconds;
    now.bnSeconds -= deviceBase_.bnSeconds;
    now.steps -= deviceBase_.steps;
    return now;
  }

  Communicator &comm_;
  CompiledModel &model_;
  bool syncBn_;
  GradientAllReducer reducer_;
  std::vector<GradientSpan> spans_;
  double gradientSeconds_ = 0, bnSeconds_ = 0;
  int64_t hookCalls_ = 0;
  CompiledModel::DeviceParallelism device_;
  CompiledModel::DeviceCommTime deviceBase_;
};

/// Broadcasts a byte string of any length from `root`.
void broadcastString(Communicator &comm, std::string &bytes, int root);

/// Fixed-layout packing of plain values and strings, for broadcasting small
/// structs (run settings) as one string.
class Packer {
public:
  template <typename T> Packer &put(const T &v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes.append(reinterpret_cast<const char *>(&v), sizeof v);
    return *this;
  }
  Packer &put(const std::string &s) {
    put<uint64_t>(s.size());
    bytes += s;
    return *this;
  }
  std::string bytes;
};

class Unpacker {
public:
  explicit Unpacker(const std::string &bytes) : bytes_(bytes) {}
  template <typename T> Unpacker &get(T &v) {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof v);
    std::memcpy(&v, bytes_.data() + at_, sizeof v);
    at_ += sizeof v;
    return *this;
  }
  Unpacker &get(std::string &s) {
    uint64_t n = 0;
    get(n);
    need(n);
    s.assign(bytes_, at_, n);
    at_ += n;
    return *this;
  }

private:
  void need(uint64_t n) const {
    if (bytes_.size() - at_ < n)
      throw std::runtime_error("internal error: short broadcast record");
  }
  const std::string &bytes_;
  size_t at_ = 0;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_PARALLEL_H
