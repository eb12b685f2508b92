//===- CudaKernels.h - the CUDA kernels generated GPU trainers call -------===//
//
// The GPU twin of runtime/kernels/Kernels.h, namespace cardinal::rt::cuda.
// Every kernel is a host function that takes the Context first, then the
// same parameters as its CPU counterpart (same shape structs from
// runtime/kernels/Shapes.h, same order), with raw DEVICE pointers. It is
// enqueued on ctx.stream and returns without synchronizing; errors of the
// launch itself throw std::runtime_error.
//
// Element types (mixed precision, as in DESIGN §6):
//  - T, the activation type, is float or __nv_bfloat16. Conv/linear weights
//    and biases are passed as T (a bf16 copy of the fp32 master weights,
//    refreshed by sgdUpdate's bf16 overload or castFloatToBf16).
//  - Always float: BN scale/shift, saved and running statistics, the loss,
//    every weight/bias/BN-parameter gradient, SGD master weights and
//    velocities. Accumulation is fp32 everywhere (tensor-core math with
//    fp32 accumulators for bf16 cuDNN/cuBLAS calls).
//  - Activation gradients (dx, dy) have type T.
//
// A bf16 training step, as generated code would spell it (d* = device):
//   // once: Context *ctx = createContext(); castFloatToBf16(*ctx, n, dW, dWb);
//   conv2dForward<bf16>(*ctx, s, dX, dWb, nullptr, dY);
//   bnTrainReluForward<bf16>(*ctx, s.output(), dY, dGamma, dBeta, 1e-5f,
//                            0.1f, dZ, dMean, dInvStd, dRunMean, dRunVar);
//   ... backward: conv2dBackwardWeight<bf16>(*ctx, s, dX, dDy, dGradW, nullptr);
//   sgdUpdate(*ctx, n, dW, dGradW, dVel, lr, 0.9f, 1e-4f, false, dWb);
// Nothing synchronizes until the trainer reads a result back (e.g. the
// loss, after synchronize(*ctx)).
//
// Layouts are those of the CPU runtime: NCHW activations, OIHW weights,
// [n, in] x [out, in] linear. Outputs are overwritten unless `accumulate`.
//
// Convolutions: conv2d* choose per shape (see Conv.cu): dense convs go to
// cuDNN (algorithm autotuned once per shape with cudnnFind*, cached in the
// Context) or, for stride-1 unpadded 1x1s, a cuBLAS GEMM where the first
// call times it faster; grouped convs with narrow groups to the direct
// grouped kernel. Shape-specialized grouped 3x3 kernels (the ResNeXt hot
// spot) are templates in runtime/cuda/GroupedConv.cuh, instantiated by
// generated .cu files (through GroupedConvChoice.cuh's faster*, which time
// them against cuDNN) with the plan's constants (H, W: INPUT extent;
// 3x3 kernel, padding 1, dilation 1; C = Groups * CinG, O = Groups * CoutG):
//   template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
//             typename T>
//   void groupedConv3x3Forward(Context &, int64_t n, const T *x, const T *w,
//                              const T *bias, T *y);
//   void groupedConv3x3BackwardData(Context &, int64_t n, const T *dy,
//                                   const T *w, T *dx, bool accumulate);
//   void groupedConv3x3BackwardWeight(Context &, int64_t n, const T *x,
//                                     const T *dy, float *dw, float *db);
// Same semantics as conv2d* on the equivalent ConvShape.
// The conv-level training fusion's grouped 3x3 kernels are there too
// (groupedConv3x3StatsForward, groupedConv3x3BnReluStatsForward,
// groupedConv3x3BnReluForward, groupedConv3x3BnReluBackwardWeight: the
// parameters of the entry points below, with the batch n for the shape).
//
// Determinism: no floating-point atomics; every reduction has a fixed order
// for a given shape, so two runs of a trainer give the same bits (cuDNN
// algorithms are chosen by timing, so a cuDNN conv may differ between
// processes; set CARDINAL_CUDNN_DETERMINISTIC=1 to restrict to
// deterministic algorithms).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CUDAKERNELS_H
#define CARDINAL_RUNTIME_CUDA_CUDAKERNELS_H

#include "runtime/kernels/Shapes.h"

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace cardinal::rt::cuda {

using rt::ActShape;
using rt::ConvShape;
using rt::LinearShape;
using rt::PoolShape;

using bf16 = __nv_bfloat16;

//===----------------------------------------------------------------------===//
// Device, context, errors
//===----------------------------------------------------------------------===//

/// Throws std::runtime_error unless a CUDA device is usable. The message
/// names what is missing (cudaGetDeviceCount's error string), says the
/// trainer was built with `cardinal build --target cuda`, and that
/// `cardinal build --target cpu` builds a trainer that needs no GPU.
void requireDevice();

/// Throws std::runtime_error("CUDA error in <what>: <string>") on failure.
void checkCuda(cudaError_t status, const char *what);
/// cudaMalloc of `bytes` on the current device; out of memory throws with
/// the sizes needed and free and what to do (OutOfMemory.h), naming `what`.
void *allocateDevice(size_t bytes, const std::string &what);
/// Throws std::runtime_error("cuBLAS error in <what>: <status>") on failure.
void checkCublas(cublasStatus_t status, const char *what);

/// Cached cuDNN algorithm choices, keyed by conv shape + type + direction.
struct ConvAlgoCache;
struct BnSync;

/// Everything a kernel needs besides its operands. One per device (and per
/// thread that issues work). Kernels only enqueue on `stream`; `copyStream`
/// is for the trainer's host<->device copies that overlap compute.
struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;     // all kernels run here, in call order
  cudaStream_t copyStream = nullptr; // non-blocking, for overlapped copies
  cudnnHandle_t cudnn = nullptr;     // bound to `stream`
  cublasHandle_t cublas = nullptr;   // bound to `stream`
  void *workspace = nullptr;         // scratch for cuDNN and split reductions
  size_t workspaceBytes = 0;
  ConvAlgoCache *convAlgos = nullptr; // autotune cache (owned)
  /// The baseline plan (`cardinal build --target cuda --cudnn-only`): conv2d*
  /// send every convolution, grouped ones included, to cuDNN.
  bool cudnnOnly = false;
  /// relu(BN(x)) of the fused convs that run as a decomposition (ConvBn.cu):
  /// a device buffer grown on demand (stream-ordered), kept apart from
  /// `workspace`, which the conv itself uses.
  void *normalized = nullptr;
  size_t normalizedBytes = 0;
  /// Synchronized BN (--sync-bn over several ranks): when set, every
  /// training BN statistic and BN-gradient sum is combined over the ranks
  /// through it (see BnSync). Not owned; null = per-process BN.
  BnSync *bnSync = nullptr;
};

/// Collectives for synchronized BN over data-parallel ranks, on DEVICE
/// buffers in stream order: the inputs were produced by work enqueued on
/// ctx.stream, and work enqueued on ctx.stream after a call returns sees the
/// results. CommBnSync.h implements it over any Communicator. With one set
/// (Context::bnSync), BN statistics are those of the union of all ranks'
/// batches (every rank's batch has the same size), the running statistics
/// agree on every rank, and the BN backward's dx is the gradient of the sum
/// of all ranks' losses; dscale/dshift stay this rank's sums, which the
/// gradient all-reduce averages like every other gradient (the CPU's
/// setBatchNormReduce semantics, runtime/kernels/BatchNorm.h).
struct BnSync {
  virtual ~BnSync() = default;
  virtual int ranks() const = 0;
  /// recv[r * n + i] = rank r's send[i], for every rank r.
  virtual void allGather(Context &ctx, const float *send, float *recv,
                         int64_t n) = 0;
  /// data[i] = the sum over the ranks of data[i] (the same on every rank).
  virtual void allReduceSum(Context &ctx, float *data, int64_t n) = 0;
};

/// Calls requireDevice(), selects `device`, creates both streams, the
/// cuDNN/cuBLAS handles (tensor-op math allowed) and the workspace.
Context *createContext(int device = 0, size_t workspaceBytes = 256u << 20);
/// Synchronizes and frees everything createContext made. Null is a no-op.
void destroyContext(Context *ctx);

/// Waits for everything enqueued on ctx.stream (then checks for errors).
void synchronize(Context &ctx);

//===----------------------------------------------------------------------===//
// Buffers and precision
//===----------------------------------------------------------------------===//

template <typename T> void zero(Context &ctx, int64_t n, T *x);
template <typename T>
void copy(Context &ctx, int64_t n, const T *src, T *dst);

/// Round-to-nearest-even; NaN stays NaN, overflow gives inf (as PyTorch).
void castFloatToBf16(Context &ctx, int64_t n, const float *src, bf16 *dst);
/// Exact widening.
void castBf16ToFloat(Context &ctx, int64_t n, const bf16 *src, float *dst);

//===----------------------------------------------------------------------===//
// Convolution (runtime/kernels/Conv2d.h, FusedConv.h)
//===----------------------------------------------------------------------===//

/// y = conv(x, w) (+ bias[o] if bias is non-null).
template <typename T>
void conv2dForward(Context &ctx, const ConvShape &s, const T *x, const T *w,
                   const T *bias, T *y);

/// dx = conv^T(dy, w); with accumulate, dx += instead.
template <typename T>
void conv2dBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                        const T *w, T *dx, bool accumulate = false);

/// dw = d(loss)/dw (fp32) given x and dy; db (if non-null, fp32) = sum of dy
/// over n, h, w.
template <typename T>
void conv2dBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                          const T *dy, float *dw, float *db);

/// Inference: y = maybe_relu(batch_norm_eval(conv(x, w)) + residual), the
/// BN (scale, shift, running statistics: fp32) applied per output channel
/// in the conv's epilogue. `residual` may be null; it may not alias y.
template <typename T>
void conv2dBnActForward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, const float *scale, const float *shift,
                        const float *runningMean, const float *runningVar,
                        float eps, const T *residual, bool relu, T *y);

/// db[c] = sum of dy[n, c, :] over n and hw (the generated CPU trainers'
/// biasGrad helper).
template <typename T>
void biasGrad(Context &ctx, int64_t n, int64_t c, int64_t hw, const T *dy,
              float *db);

//===----------------------------------------------------------------------===//
// Batch normalization (runtime/kernels/BatchNorm.h, FusedBn.h)
//===----------------------------------------------------------------------===//
// PyTorch semantics as on the CPU: batch mean and biased variance (fp32
// Welford per thread, Chan merges across threads), running statistics
// updated with the unbiased variance, saveInvStd = 1/sqrt(var + eps).
// scale/shift may be null (affine = false); dscale/dshift may be null.

template <typename T>
void batchNormForwardTrain(Context &ctx, const ActShape &s, const T *x,
                           const float *scale, const float *shift, float eps,
                           float momentum, T *y, float *saveMean,
                           float *saveInvStd, float *runningMean,
                           float *runningVar);

template <typename T>
void batchNormForwardEval(Context &ctx, const ActShape &s, const T *x,
                          const float *scale, const float *shift,
                          const float *runningMean, const float *runningVar,
                          float eps, T *y);

template <typename T>
void batchNormBackward(Context &ctx, const ActShape &s, const T *x,
                       const T *dy, const float *scale, const float *saveMean,
                       const float *saveInvStd, T *dx, float *dscale,
                       float *dshift);

/// y = max(batch_norm_train(x), 0).
template <typename T>
void bnTrainReluForward(Context &ctx, const ActShape &s, const T *x,
                        const float *scale, const float *shift, float eps,
                        float momentum, T *y, float *saveMean,
                        float *saveInvStd, float *runningMean,
                        float *runningVar);

/// Gradient of bnTrainReluForward; `y` is its output, `dy` w.r.t. y.
template <typename T>
void bnReluBackward(Context &ctx, const ActShape &s, const T *x, const T *y,
                    const T *dy, const float *scale, const float *saveMean,
                    const float *saveInvStd, T *dx, float *dscale,
                    float *dshift);

//===----------------------------------------------------------------------===//
// The conv-level training fusion (runtime/kernels/ConvStats.h,
// BnPrologueConv.h, BnApply.h; nn.conv2d_stats ... nn.bn_add_relu_grad)
//===----------------------------------------------------------------------===//
// The BN whose statistics come from the producing conv's epilogue: mean and
// invstd are values (fp32 device arrays, as written by *StatsForward), not
// a BN's saved statistics; scale/shift (fp32) may be null. Same semantics
// and parameter order as the CPU kernels. Grouped 3x3 convs in generated
// trainers use GroupedConv.cuh's fused templates instead (real fusion);
// these entry points, for every other conv (cuDNN's dense convs, the
// direct grouped kernel), run as a decomposition: relu(BN(x)) into
// Context::normalized, then the conv2d* path, then a statistics pass over
// y (split Welford, as batchNormForwardTrain). Statistics are fp32 and are
// taken from y as stored (bf16 when T is). --sync-bn: with ctx.bnSync,
// statistics and BN-gradient sums over all ranks, as every BN kernel here.

/// y = conv(x, w); mean/invstd = y's batch statistics; running statistics
/// updated (momentum; unbiased variance). runningMean/Var may be null.
template <typename T>
void conv2dStatsForward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, float eps, float momentum, T *y,
                        float *mean, float *invstd, float *runningMean,
                        float *runningVar);

/// The same for conv(relu((x - inMean)·inScale·inInvstd + inShift), w).
template <typename T>
void bnReluConv2dStatsForward(Context &ctx, const ConvShape &s, const T *x,
                              const float *inMean, const float *inInvstd,
                              const float *inScale, const float *inShift,
                              const T *w, float eps, float momentum, T *y,
                              float *mean, float *invstd, float *runningMean,
                              float *runningVar);

/// y = conv(relu(BN(x)), w).
template <typename T>
void bnReluConv2dForward(Context &ctx, const ConvShape &s, const T *x,
                         const float *mean, const float *invstd,
                         const float *scale, const float *shift, const T *w,
                         T *y);

/// dw (fp32) of conv(relu(BN(x)), w) given dy; relu(BN(x)) recomputed.
template <typename T>
void bnReluConv2dBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                                const float *mean, const float *invstd,
                                const float *scale, const float *shift,
                                const T *dy, float *dw);

/// y = relu((x - mean)·scale·invstd + shift + residual).
template <typename T>
void bnAddReluForward(Context &ctx, const ActShape &s, const T *x,
                      const float *mean, const float *invstd,
                      const float *scale, const float *shift,
                      const T *residual, T *y);

/// Gradients of bnAddReluForward given its output y and dy w.r.t. y:
/// dresidual = dy·(y > 0), dx = BN's input gradient of it; dscale/dshift
/// (fp32) may be null.
template <typename T>
void bnAddReluBackward(Context &ctx, const ActShape &s, const T *x,
                       const T *y, const T *dy, const float *mean,
                       const float *invstd, const float *scale, T *dx,
                       T *dresidual, float *dscale, float *dshift);

/// Gradient of relu(BN(x)) given dy w.r.t. it, the ReLU mask recomputed
/// from x (the forward never stored relu(BN(x))).
template <typename T>
void bnReluApplyBackward(Context &ctx, const ActShape &s, const T *x,
                         const T *dy, const float *mean, const float *invstd,
                         const float *scale, const float *shift, T *dx,
                         float *dscale, float *dshift);

/// The BN-grad reductions fused into the conv backward-data whose dx is the
/// BN + ReLU's output gradient (nn.conv2d_grad_input_bn_sums; CPU:
/// ConvGradBnSums.h): dx = conv^T(dy, w), then, with dz = dx·[BN(bnInput) >
/// 0] (mask recomputed), dshift = Σdz and dscale = Σdz·(bnInput - mean)·
/// invstd per input channel. On the device a decomposition: conv2d*
/// backward-data, then bnReluGradSums (one pass over dx).
template <typename T>
void conv2dBackwardDataBnSums(Context &ctx, const ConvShape &s, const T *dy,
                              const T *w, const T *bnInput,
                              const float *mean, const float *invstd,
                              const float *scale, const float *shift, T *dx,
                              float *dscale, float *dshift);

/// Just the reductions: dshift = Σdz, dscale = Σdz·(x - mean)·invstd with
/// dz = dy·[BN(x) > 0] (what generated trainers call after a grouped 3x3
/// backward-data template).
template <typename T>
void bnReluGradSums(Context &ctx, const ActShape &s, const T *x, const T *dy,
                    const float *mean, const float *invstd,
                    const float *scale, const float *shift, float *dscale,
                    float *dshift);

/// bnReluApplyBackward's dx alone, its reductions given as dscale/dshift
/// (nn.bn_relu_apply_grad_input).
template <typename T>
void bnReluApplyBackwardInput(Context &ctx, const ActShape &s, const T *x,
                              const T *dy, const float *mean,
                              const float *invstd, const float *scale,
                              const float *shift, const float *dscale,
                              const float *dshift, T *dx);

//===----------------------------------------------------------------------===//
// Pointwise, concat/slice (runtime/kernels/Elementwise.h, Concat.h)
//===----------------------------------------------------------------------===//

template <typename T>
void reluForward(Context &ctx, int64_t n, const T *x, T *y);
/// dx = yOrX > 0 ? dy : 0.
template <typename T>
void reluBackward(Context &ctx, int64_t n, const T *yOrX, const T *dy, T *dx);
template <typename T>
void add(Context &ctx, int64_t n, const T *a, const T *b, T *y);

/// `inputs` / `dxs` and `channels` are HOST arrays (of device pointers and
/// of channel counts), as the generated code builds them on its stack.
template <typename T>
void concatChannelsForward(Context &ctx, int64_t n, int64_t hw,
                           int64_t numInputs, const T *const *inputs,
                           const int64_t *channels, T *y);
template <typename T>
void concatChannelsBackward(Context &ctx, int64_t n, int64_t hw,
                            int64_t numInputs, const int64_t *channels,
                            const T *dy, T *const *dxs,
                            bool accumulate = false);
template <typename T>
void sliceChannelsForward(Context &ctx, int64_t n, int64_t c, int64_t hw,
                          int64_t begin, int64_t len, const T *x, T *y);
template <typename T>
void sliceChannelsBackward(Context &ctx, int64_t n, int64_t c, int64_t hw,
                           int64_t begin, int64_t len, const T *dy, T *dx,
                           bool accumulate = false);

//===----------------------------------------------------------------------===//
// Pooling (runtime/kernels/Pool.h)
//===----------------------------------------------------------------------===//

/// argmax (may be null): int32 index ih * w + iw into the plane, -1 if the
/// window saw only padding. First maximum in window order; NaN propagates.
template <typename T>
void maxPool2dForward(Context &ctx, const PoolShape &s, const T *x, T *y,
                      int32_t *argmax);
template <typename T>
void maxPool2dBackward(Context &ctx, const PoolShape &s,
                       const int32_t *argmax, const T *dy, T *dx,
                       bool accumulate = false);
/// Gather form: each input element sums dy of the windows it wins (no
/// atomics, deterministic).
template <typename T>
void maxPool2dBackwardRecompute(Context &ctx, const PoolShape &s, const T *x,
                                const T *dy, T *dx, bool accumulate = false);
template <typename T>
void globalAvgPoolForward(Context &ctx, const ActShape &s, const T *x, T *y);
template <typename T>
void globalAvgPoolBackward(Context &ctx, const ActShape &s, const T *dy,
                           T *dx, bool accumulate = false);

//===----------------------------------------------------------------------===//
// Linear, loss, optimizer (runtime/kernels/Linear.h, Loss.h, Sgd.h)
//===----------------------------------------------------------------------===//

/// y = x W^T (+ b if non-null), cuBLAS (bf16: tensor ops, fp32 accumulate).
template <typename T>
void linearForward(Context &ctx, const LinearShape &s, const T *x, const T *w,
                   const T *b, T *y);
/// dx = dy W (type T), dW = dy^T x and db = sum_n dy (fp32); any output may
/// be null (x only needed for dw, w only for dx).
template <typename T>
void linearBackward(Context &ctx, const LinearShape &s, const T *x,
                    const T *w, const T *dy, T *dx, float *dw, float *db);

/// *loss (device float) = mean_i (logsumexp(logits_i) - logits_i[label_i]);
/// probs (may be null) gets the softmax. labels: device int32.
template <typename T>
void softmaxCrossEntropyForward(Context &ctx, int64_t n, int64_t k,
                                const T *logits, const int32_t *labels,
                                T *probs, float *loss);
/// dlogits = (softmax(logits) - onehot(labels)) * dloss / n.
template <typename T>
void softmaxCrossEntropyBackward(Context &ctx, int64_t n, int64_t k,
                                 const T *logits, const int32_t *labels,
                                 float dloss, T *dlogits);
/// correct[0] = rows whose label ranks first, correct[1] = within the first
/// five (device int64[2], overwritten). Ties rank as the CPU kernel's stable
/// descending sort.
template <typename T>
void countTopKCorrect(Context &ctx, int64_t n, int64_t k, const T *logits,
                      const int32_t *labels, int64_t *correct);

/// torch.optim.SGD on fp32 master weights, exactly Sgd.cpp's formula. With
/// momentum == 0, v may be null.
void sgdUpdate(Context &ctx, int64_t n, float *w, const float *g, float *v,
               float lr, float momentum, float weightDecay,
               bool nesterov = false);
/// The same, also writing the updated weights' bf16 copy (wLowp) in the
/// same pass, for mixed-precision trainers.
void sgdUpdate(Context &ctx, int64_t n, float *w, const float *g, float *v,
               float lr, float momentum, float weightDecay, bool nesterov,
               bf16 *wLowp);

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CUDAKERNELS_H
