//===- ConvChoice.h - equivalent conv implementations, timed once ----------===//
//
// Why: which of several equivalent implementations of a conv call is
// fastest depends on the shape and the GPU, so the library measures on the
// first call instead of guessing (KernelChoice.h is the policy). Two
// families use it: a grouped 3x3 layer runs the generated kernel or cuDNN
// (GroupedConvChoice.h), a dense 1x1 layer cuDNN or a cuBLAS GEMM
// (DenseConvChoice.h). This is what they share: the cache key, cudaEvent
// timing on ctx.stream, the save/restore of what a call changes in place,
// and the table CARDINAL_CONV_CHOICES=1 prints. Host code.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CONVCHOICE_H
#define CARDINAL_RUNTIME_CUDA_CONVCHOICE_H

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/KernelChoice.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>

namespace cardinal::rt::cuda {

enum class ConvDirection : int64_t { Forward, BackwardData, BackwardWeight };

/// Every ConvShape field, the element type's cudnnDataType_t, and the call
/// (a ConvDirection, or a family's own op enum).
using ConvKey = std::array<int64_t, 18>;

inline ConvKey convKey(const ConvShape &s, int64_t dataType, int64_t call) {
  return {s.n,        s.c,       s.h,       s.w,         s.o,
          s.kh,       s.kw,      s.strideH, s.strideW,   s.padH,
          s.padW,     s.dilationH, s.dilationW, s.groups, s.oh,
          s.ow,       dataType,  call};
}
inline ConvKey convKey(const ConvShape &s, int64_t dataType,
                       ConvDirection dir) {
  return convKey(s, dataType, static_cast<int64_t>(dir));
}

/// A device array a candidate changes in place, which the trials must put
/// back before each further run (BN running statistics, an accumulated dx).
struct DeviceBytes {
  void *data;
  size_t bytes;
};

/// Runs the candidate `choice` picked for `key` (one per choice.names(),
/// equivalent calls); on the key's first call, picks it (KernelChoice.h),
/// saving `restored` to a stream-ordered scratch copy and putting it back
/// between runs, so the first call's side effects are one call's. A
/// candidate that fails its trial is left out, with a warning naming
/// `family` and `op`. While ctx.stream is being captured into a CUDA graph,
/// an undecided key runs the preferred (or forced) candidate untimed: the
/// choice waits for a call outside a capture.
void runFasterConv(Context &ctx, KernelChoice<ConvKey> &choice,
                   const ConvKey &key, const char *family, const char *op,
                   std::initializer_list<RunRef> candidates,
                   std::initializer_list<DeviceBytes> restored = {});

/// `choice`'s records as a markdown table (layer, op, each candidate's ms,
/// winner), headed "<family> choices (<variable>=...)" and ending
/// "<first candidate> chosen for X of N <family> calls"; nothing when no
/// call was made. `opName` names a key's last element.
void printConvChoices(const KernelChoice<ConvKey> &choice, const char *family,
                      const char *variable, const char *(*opName)(int64_t),
                      std::FILE *out);

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CONVCHOICE_H
