//===- NcclSmoke.cpp - NcclCommunicator links; runs where a GPU is ---------===//
//
// Linked against CardinalRuntimeNccl (CUDA runtime + libnccl). Prints the
// NCCL and CUDA runtime versions (no device needed). Where a CUDA device is
// visible it also joins a 1-rank NCCL communicator (bootstrapped over a
// LocalCommunicator) and checks an all-reduce, a broadcast and a barrier on
// device buffers; without one it says so and passes: the link is the test.
//
//===----------------------------------------------------------------------===//
#include "runtime/comm/NcclCommunicator.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <vector>

using namespace cardinal::rt;

int main() {
  std::printf("%s\n", NcclCommunicator::versionString().c_str());
  int device = -1;
  try {
    device = NcclCommunicator::deviceForLocalRank(0);
  } catch (const std::exception &e) {
    std::printf("no CUDA device (%s): NCCL communicator linked, not run\n",
                e.what());
    return 0;
  }
  try {
    LocalCommunicator bootstrap;
    NcclCommunicator comm(bootstrap, device, 30);
    const int n = 1 << 20;
    std::vector<float> host(n);
    for (int i = 0; i < n; ++i)
      host[i] = 0.5f * static_cast<float>(i % 97);
    float *dev = nullptr;
    if (cudaMalloc(reinterpret_cast<void **>(&dev), n * sizeof(float)) !=
        cudaSuccess)
      throw std::runtime_error("cudaMalloc failed");
    cudaMemcpy(dev, host.data(), n * sizeof(float), cudaMemcpyHostToDevice);
    comm.allReduceSum(dev, n);
    comm.broadcast(dev, n * sizeof(float), 0);
    comm.barrier();
    std::vector<float> back(n);
    cudaMemcpy(back.data(), dev, n * sizeof(float), cudaMemcpyDeviceToHost);
    cudaFree(dev);
    if (back != host) // one rank: the sum is the input
      throw std::runtime_error("1-rank all-reduce changed the data");
    std::printf("nccl ok: 1 rank on GPU %d, %d floats\n", device, n);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nccl-smoke: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
