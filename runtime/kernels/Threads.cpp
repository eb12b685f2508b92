//===- Threads.cpp --------------------------------------------------------===//

#include "runtime/kernels/Threads.h"

#include <cblas.h>
#include <mutex>
#include <omp.h>

namespace cardinal::rt {

void setNumThreads(int n) {
  omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
  detail::ensureSequentialBlas();
}

int numThreads() { return omp_get_max_threads(); }

void detail::ensureSequentialBlas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

} // namespace cardinal::rt
