//===- OutOfMemory.h - what to say when the GPU lacks the model's memory --===//
//
// Plain C++ (no CUDA headers), so the message is unit-tested with g++
// (tests/cuda/OutOfMemoryTest.cpp); allocateDevice (Context.cpp) fills in
// cudaMemGetInfo's figures.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_OUTOFMEMORY_H
#define CARDINAL_RUNTIME_CUDA_OUTOFMEMORY_H

#include <cstddef>
#include <cstdio>
#include <string>

namespace cardinal::rt::cuda {

/// "out of GPU memory: <what> needs 12.34 GiB; device 0 has 3.10 GiB free
/// of 139.80 GiB. ..." with what to do about it: a smaller batch (the
/// planned activations scale with it) or a GPU other processes do not hold.
inline std::string outOfDeviceMemoryMessage(const std::string &what,
                                            size_t needBytes, size_t freeBytes,
                                            size_t totalBytes, int device) {
  auto gib = [](size_t b) { return static_cast<double>(b) / (1ull << 30); };
  char figures[160];
  std::snprintf(figures, sizeof figures,
                " needs %.2f GiB; device %d has %.2f GiB free of %.2f GiB", gib(needBytes),
                device, gib(freeBytes), gib(totalBytes));
  std::string advice =
      freeBytes + (1ull << 30) < totalBytes && needBytes <= totalBytes
          ? " Other processes hold part of it (nvidia-smi lists them); "
            "free the GPU, or"
          : "";
  return "out of GPU memory: " + what + figures + "." + advice +
         (advice.empty() ? " Rebuild" : " rebuild") +
         " with a smaller --batch (`cardinal build ... --batch N`): the "
         "planned activations and gradients scale with it.";
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_OUTOFMEMORY_H
