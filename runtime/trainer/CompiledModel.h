//===- CompiledModel.h - what a generated trainer implements ---------------===//
//
// `cardinal build` emits one C++ file that defines a subclass of
// CompiledModel (shape-specialized kernel calls over planned buffers) and
// `createCompiledModel()`. Everything else a trainer does — flags, data,
// schedule, progress, metrics, checkpoints — is runtime code that only sees
// this interface, so the CPU and CUDA emitters share it.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_COMPILEDMODEL_H
#define CARDINAL_RUNTIME_TRAINER_COMPILEDMODEL_H

#include "runtime/trainer/StepTimer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cardinal::rt {

class Communicator;

/// A named persistent tensor of the model (float32, row-major).
struct NamedTensor {
  enum class Kind { Param, State, Velocity };
  std::string name;             // "stage2.block0.conv1.weight"
  Kind kind = Kind::Param;
  std::string init;             // he_normal | linear_uniform | ones | zeros
  std::vector<int64_t> shape;
  float *data = nullptr;        // owned by the model
  int64_t size() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// What one training step reports for the batch it consumed.
struct StepStats {
  double loss = 0;       // mean cross-entropy over the batch
  int64_t correct1 = 0;  // top-1 hits
  int64_t correct5 = 0;  // top-5 hits (classes < 5: top-k with k = classes)
};

/// How one tensor of another form of the model is made from the trained
/// tensors: the concatenation along `axis` of slices of named sources (the
/// parameter maps of the form conversions, compiled in by `cardinal build`).
struct FormPiece {
  std::string source;
  int64_t axis = 0, start = 0, size = 0;
};
struct FormEntry {
  std::string target;
  std::vector<int64_t> shape;
  int64_t axis = 0;
  std::vector<FormPiece> pieces;
};

/// Optimizer settings of one step. The update rule is compiled in; these are
/// its runtime operands (the schedule changes lr every epoch).
struct StepHyper {
  float lr = 0.1f;
  float momentum = 0.9f;
  float weightDecay = 1e-4f;
};

class CompiledModel {
public:
  virtual ~CompiledModel() = default;

  virtual std::string name() const = 0;
  /// The batch the step was specialized for, and one sample's C, H, W.
  virtual int64_t batch() const = 0;
  virtual int64_t channels() const = 0;
  virtual int64_t height() const = 0;
  virtual int64_t width() const = 0;
  virtual int64_t classes() const = 0;
  /// Peak bytes of planned activations and gradients (train step).
  virtual int64_t arenaBytes() const = 0;

  /// Parameters, BN running statistics and momentum buffers, in a fixed
  /// order (checkpoints store exactly these).
  virtual std::vector<NamedTensor> &tensors() = 0;

  /// Before the runtime reads tensors() (checkpoint, export, hash check,
  /// broadcast): a model that keeps its tensors elsewhere (a GPU) copies
  /// them into the host arrays here.
  virtual void syncTensorsToHost() {}
  /// After the runtime wrote tensors() (init, resume, broadcast): a model
  /// that keeps them elsewhere, or caches values derived from them (folded
  /// BN weights), picks up the new values here.
  virtual void tensorsWritten() {}

  /// The momentum and weight decay `cardinal build` was given.
  virtual StepHyper defaultHyper() const = 0;

  /// Forward (batch statistics), backward and the SGD update of every
  /// parameter; BN running statistics are updated. Parameters the compiler
  /// exempted from weight decay (BN with --no-bn-decay) ignore it.
  virtual StepStats trainStep(const float *images, const int32_t *labels,
                              const StepHyper &hyper) = 0;

  /// d(loss)/d(param) of the last trainStep (before its update), one entry
  /// per parameter, pointing into the step's buffers: valid until the next
  /// call. For tests and debugging (gradient dumps, oracles).
  virtual std::vector<NamedTensor> gradients() { return {}; }

  /// Called inside trainStep once the backward pass is complete and before
  /// any parameter is updated, with every gradient (as gradients()); data
  /// parallelism all-reduces them here. Empty: no call.
  using GradientHook = std::function<void(std::vector<NamedTensor> &)>;
  void setGradientHook(GradientHook hook) { gradientHook_ = std::move(hook); }

  /// Called during backward, as soon as gradient `index` (the order of
  /// gradients()) is final, so data parallelism can start reducing it while
  /// the rest of backward runs. Always in the same order; every gradient is
  /// reported once per step, before the gradient hook.
  using GradientReadyHook = std::function<void(int64_t, NamedTensor &)>;
  void setGradientReadyHook(GradientReadyHook hook) {
    gradientReadyHook_ = std::move(hook);
  }

  /// Data parallelism done by a model whose tensors live on a device
  /// (attachDataParallel): which parts it took over from the host hooks.
  struct DeviceParallelism {
    bool gradients = false; ///< averages its gradients itself (no hooks)
    bool syncBn = false;    ///< synchronizes its BN statistics itself
  };
  /// Called once per training run on several ranks, before the first step,
  /// with the run's communicator (MPI ranks) and --sync-bn. A device model
  /// may set up device collectives over it (NCCL, bootstrapped through
  /// `comm`) and average gradients / synchronize BN on the device, with the
  /// semantics of the host paths (DataParallel, setBatchNormReduce). The
  /// default takes nothing over.
  virtual DeviceParallelism attachDataParallel(Communicator &comm,
                                               bool syncBn) {
    return {};
  }
  /// Undoes attachDataParallel (the run is over).
  virtual void detachDataParallel() {}
  /// What attachDataParallel's collectives have cost so far (cumulative):
  /// seconds in gradient averaging and in BN synchronization, and the steps
  /// whose gradients it averaged.
  struct DeviceCommTime {
    double gradientSeconds = 0, bnSeconds = 0;
    int64_t steps = 0;
  };
  virtual DeviceCommTime deviceCommTime() const { return {}; }

  /// The map from the trained tensors (form (c)) to the parameters and BN
  /// statistics of form 'a', 'b' or 'c'; empty if unknown.
  virtual std::vector<FormEntry> formMap(char form) const { return {}; }

  /// Inference with BN running statistics: logits [batch, classes].
  virtual void predict(const float *images, float *logits) = 0;

  /// Times every kernel call of the following trainSteps (StepTimer.h);
  /// false if this model cannot. A device model then runs each step eagerly
  /// (no CUDA graph) and waits for it.
  virtual bool startProfile() { return false; }
  /// The calls' times since startProfile, or nullptr.
  const StepTimer *stepTimer() const { return timer_.get(); }

protected:
  /// Generated steps call this before each kernel call.
  void mark(int call) {
    if (timer_)
      timer_->mark(call);
  }

  GradientHook gradientHook_;
  GradientReadyHook gradientReadyHook_;
  std::unique_ptr<StepTimer> timer_;
};

/// Defined by the generated code.
std::unique_ptr<CompiledModel> createCompiledModel();

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_COMPILEDMODEL_H
