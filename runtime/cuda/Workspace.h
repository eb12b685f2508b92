//===- Workspace.h - typed views of the Context's scratch buffer (internal)
//
// Kernels run in stream order, so one call may use the whole workspace: no
// allocator, just a size check with a message that says what to enlarge.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_WORKSPACE_H
#define CARDINAL_RUNTIME_CUDA_WORKSPACE_H

#include "runtime/cuda/CudaKernels.h"

#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {

/// The workspace as `count` elements of E, starting `offsetBytes` in
/// (rounded up to 256 bytes).
template <typename E>
E *workspaceAs(Context &ctx, int64_t count, const char *what,
               size_t offsetBytes = 0) {
  offsetBytes = (offsetBytes + 255) / 256 * 256;
  const size_t need = offsetBytes + sizeof(E) * static_cast<size_t>(count);
  if (need > ctx.workspaceBytes)
    throw std::runtime_error(std::string(what) + ": needs " +
                             std::to_string(need) +
                             " workspace bytes, the Context has " +
                             std::to_string(ctx.workspaceBytes) +
                             " (createContext's workspaceBytes)");
  return reinterpret_cast<E *>(static_cast<char *>(ctx.workspace) +
                               offsetBytes);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_WORKSPACE_H
