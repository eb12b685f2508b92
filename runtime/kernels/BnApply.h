//===- BnApply.h - BN with given statistics, + ReLU (+ residual) -----------===//
//
// The elementwise kernels of the conv-level training fusion
// (--nn-fuse-conv-bn-relu), where the batch statistics come from the
// producing conv's epilogue (conv2dStatsForward) instead of a statistics
// pass:
//  - bnAddReluForward: y = relu((x - mean)·a + b + residual), a = scale·invstd
//    (nn.bn_add_relu, a block's output).
//  - bnAddReluBackward: dresidual = dy·(y > 0), and BN's gradient of it
//    (nn.bn_add_relu_grad): the mask is applied while the two reductions
//    are accumulated; dresidual is written in the same pass.
//  - bnReluApplyBackward: BN+ReLU's gradient with the ReLU mask recomputed
//    from x and the statistics (nn.bn_relu_apply_grad): the forward never
//    stored relu(BN(x)).
//  - bnReluApplyBackwardInput: its dx alone, the two reductions given
//    (nn.bn_relu_apply_grad_input; conv2dBackwardDataBnSums took them while
//    writing dy).
// detail::BnCoeffs is the one definition of the normalized value, shared by
// the forward prologue (BnPrologueConv) and the backward mask, so the mask
// is exactly the forward's ReLU decision. With a synchronized-BN reducer
// installed the backward kernels call batchNormBackward (all-reduced sums).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BNAPPLY_H
#define CARDINAL_RUNTIME_KERNELS_BNAPPLY_H

#include "runtime/kernels/ChannelLoops.h"
#include "runtime/kernels/Shapes.h"

#include <cstddef>
#include <vector>

namespace cardinal::rt {

namespace detail {
/// v = (x - mean)·a + b for one channel.
template <typename T> struct BnCoeffs {
  T mean, a, b;
  BnCoeffs(const T *meanP, const T *invstd, const T *scale, const T *shift,
           int64_t c)
      : mean(meanP[c]),
        a(static_cast<T>((scale ? double(scale[c]) : 1.0) * double(invstd[c]))),
        b(shift ? shift[c] : T(0)) {}
  T operator()(T x) const { return (x - mean) * a + b; }
};

/// The ReLU decision of relu(k(x)), for ChannelLoops' backward loops.
template <typename T> ReluMask<T> reluMask(const BnCoeffs<T> &k) {
  ReluMask<T> m;
  m.kind = ReluMask<T>::Recompute;
  m.mean = k.mean;
  m.a = k.a;
  m.b = k.b;
  return m;
}

/// relu(BN(x)) of one image ([c, hw] at `x`) into `out`: the prologue of
/// the convs that read a BN + ReLU (BnPrologueConv, ConvStats).
template <typename T>
void normalizeReluImage(int64_t c, int64_t hw, const T *x, const T *mean,
                        const T *invstd, const T *scale, const T *shift,
                        T *out) {
  for (int64_t j = 0; j < c; ++j) {
    const BnCoeffs<T> k(mean, invstd, scale, shift, j);
    channelAffine(ChannelRows{1, hw, hw}, x + j * hw, k.mean, k.a, k.b,
                  static_cast<const T *>(nullptr), true, out + j * hw);
  }
}

/// Images per chunk of the fused conv kernels: the conv runs on `chunk`
/// images at once (the conv kernels tile and thread within a call, and batch
/// several samples per GEMM panel; one image per call halves their speed),
/// while a chunk's activations (about kChunkBytes) stay in cache between
/// the prologue, the conv and the epilogue.
inline int64_t imagesPerChunk(int64_t n, int64_t bytesPerImage) {
  constexpr int64_t kChunkBytes = int64_t(4) << 20;
  int64_t chunk = kChunkBytes / (bytesPerImage > 0 ? bytesPerImage : 1);
  return chunk < 1 ? 1 : (chunk > n ? n : chunk);
}

/// relu(BN(x)) of images [n0, n0 + count) of x ([n, c, hw]) into `out`.
template <typename T>
void normalizeReluImages(int64_t n0, int64_t count, int64_t c, int64_t hw,
                         const T *x, const T *mean, const T *invstd,
                         const T *scale, const T *shift, T *out) {
#pragma omp parallel for collapse(2) schedule(static) if (count * c * hw >= (1 << 15))
  for (int64_t n = 0; n < count; ++n)
    for (int64_t j = 0; j < c; ++j) {
      const BnCoeffs<T> k(mean, invstd, scale, shift, j);
      channelAffine(ChannelRows{1, hw, hw}, x + ((n0 + n) * c + j) * hw,
                    k.mean, k.a, k.b, static_cast<const T *>(nullptr), true,
                    out + (n * c + j) * hw);
    }
}

/// A grow-only per-thread buffer for one normalized image (the conv kernels
/// own Scratch.h's slots).
template <typename T> T *imageBuffer(int64_t count) {
  thread_local std::vector<T> buf;
  if (static_cast<int64_t>(buf.size()) < count)
    buf.resize(static_cast<size_t>(count));
  return buf.data();
}
} // namespace detail

template <typename T>
void bnAddReluForward(const ActShape &s, const T *x, const T *mean,
                      const T *invstd, const T *scale, const T *shift,
                      const T *residual, T *y);

/// `y` is the forward's output, `dy` the gradient w.r.t. it.
template <typename T>
void bnAddReluBackward(const ActShape &s, const T *x, const T *y, const T *dy,
                       const T *mean, const T *invstd, const T *scale, T *dx,
                       T *dresidual, T *dscale, T *dshift);

template <typename T>
void bnReluApplyBackward(const ActShape &s, const T *x, const T *dy,
                         const T *mean, const T *invstd, const T *scale,
                         const T *shift, T *dx, T *dscale, T *dshift);

/// dx of bnReluApplyBackward given its reductions: dscale = Σdz·x̂ and
/// dshift = Σdz per channel (local to this replica). With a synchronized-BN
/// reducer installed it recomputes the local sums in double and all-reduces
/// them exactly as bnReluApplyBackward does (dscale/dshift are not
/// written).
template <typename T>
void bnReluApplyBackwardInput(const ActShape &s, const T *x, const T *dy,
                              const T *mean, const T *invstd, const T *scale,
                              const T *shift, const T *dscale,
                              const T *dshift, T *dx);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_BNAPPLY_H
