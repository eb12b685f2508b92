//===- DirectConvIsa.h - which vector width the direct conv uses -----------===//
//
// Internal to the kernels (and their tests). The direct grouped-conv loops
// are compiled three times in one translation unit (baseline SSE2, AVX2+FMA,
// AVX-512) via per-function target attributes, and picked at run time from
// CPUID, so the library runs on any x86-64 yet uses the widest vectors the
// machine has. The BN/ReLU loops (ChannelLoops.h) follow the same level.
// Tests force each level to check all three.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_DIRECTCONVISA_H
#define CARDINAL_RUNTIME_KERNELS_DIRECTCONVISA_H

namespace cardinal::rt::detail {

enum class VectorIsa { Baseline = 0, Avx2 = 1, Avx512 = 2 };

/// The widest level this CPU supports.
VectorIsa detectVectorIsa();
/// The level the direct conv kernels use now (detected unless forced).
VectorIsa directConvIsa();
/// Forces a level (clamped to what the CPU supports); returns the level set.
VectorIsa forceDirectConvIsa(VectorIsa isa);

} // namespace cardinal::rt::detail

#endif // CARDINAL_RUNTIME_KERNELS_DIRECTCONVISA_H
