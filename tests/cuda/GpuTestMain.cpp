//===- GpuTestMain.cpp - cuda-kernels-gpu-test entry point ----------------===//
//
// With a device: every kernel, fp32 and bf16, against the CPU kernels; exit
// status 1 if any check fails. Without one (CI, this build machine): checks
// that requireDevice() refuses with a useful message, prints SKIP, exits 0.
//
//===----------------------------------------------------------------------===//
#include "GpuChecks.h"

#include <cstdio>
#include <exception>
#include <string>

using namespace cardinal::rt::cuda;
using namespace cardinal::rt::cuda::test;

namespace {

/// requireDevice() must throw, naming the CUDA error and both targets.
int checkNoDeviceMessage(cudaError_t status) {
  try {
    requireDevice();
  } catch (const std::exception &e) {
    const std::string msg = e.what();
    const bool ok = msg.find(cudaGetErrorString(status)) != std::string::npos &&
                    msg.find("--target cuda") != std::string::npos &&
                    msg.find("cardinal build --target cpu") != std::string::npos;
    std::printf("requireDevice: %s\n", msg.c_str());
    if (!ok) {
      std::printf("FAIL: the message must name the CUDA error, --target cuda "
                  "and `cardinal build --target cpu`\n");
      return 1;
    }
    return 0;
  }
  std::printf("FAIL: requireDevice() did not throw without a device\n");
  return 1;
}

} // namespace

int main() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    if (status != cudaSuccess && checkNoDeviceMessage(status))
      return 1;
    std::printf("SKIP cuda-kernels-gpu-test: no usable CUDA device (%s)\n",
                status != cudaSuccess ? cudaGetErrorString(status)
                                      : "0 devices");
    return 0;
  }
  Checks checks;
  Context *ctx = nullptr;
  try {
    ctx = createContext(0, 64u << 20);
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, 0);
    std::printf("device: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
    checkConvs<float>(*ctx, checks);
    checkConvs<bf16>(*ctx, checks);
    checkNormPool<float>(*ctx, checks);
    checkNormPool<bf16>(*ctx, checks);
    checkFused<float>(*ctx, checks);
    checkFused<bf16>(*ctx, checks);
    checkMisc<float>(*ctx, checks);
    checkMisc<bf16>(*ctx, checks);
    checkSyncedBn<float>(*ctx, checks);
    checkSyncedBn<bf16>(*ctx, checks);
    checkSgdAndCasts(*ctx, checks);
  } catch (const std::exception &e) {
    std::printf("FAIL: exception: %s\n", e.what());
    destroyContext(ctx);
    return 1;
  }
  destroyContext(ctx);
  std::printf("%d check(s) failed\n", checks.failures());
  return checks.failures() ? 1 : 0;
}
