//===- LocalDevice.h - which GPU a CUDA trainer process uses ---------------===//
//
// Data parallelism runs one process per GPU (mpirun -np N): each rank takes
// the GPU of its node-local rank. CARDINAL_CUDA_DEVICE overrides. Plain C++
// (no CUDA headers): generated .cu trainers reduce it modulo the device
// count.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_LOCALDEVICE_H
#define CARDINAL_RUNTIME_TRAINER_LOCALDEVICE_H

#include <cstdlib>

namespace cardinal::rt {

/// CARDINAL_CUDA_DEVICE, else the launcher's node-local rank (Open MPI,
/// MPICH/Hydra, Slurm, torchrun-style LOCAL_RANK), else 0.
inline int localDeviceIndex() {
  for (const char *name : {"CARDINAL_CUDA_DEVICE", "OMPI_COMM_WORLD_LOCAL_RANK",
                           "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK"})
    if (const char *v = std::getenv(name)) {
      char *end = nullptr;
      long i = std::strtol(v, &end, 10);
      if (*v && !*end && i >= 0)
        return static_cast<int>(i);
    }
  return 0;
}

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_LOCALDEVICE_H
