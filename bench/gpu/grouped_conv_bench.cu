//===- grouped_conv_bench.cu - generated grouped 3x3 kernels vs cuDNN -----===//
//
// For every grouped 3x3 layer of ResNeXt-50 (32x4d) at batch 32, 224^2
// input (56x56 d=4; the stride-2 first blocks and the 28/14/7 stages with
// d = 8/16/32), in fp32 and bf16: Cardinal's shape-specialized kernels
// (runtime/cuda/GroupedConv.cuh) vs cuDNN's grouped convolution on the same
// NCHW tensors (fastest algorithm by cudnnFind*, tensor-op math for bf16),
// forward, backward-data and backward-weight. Prints ms, the cuDNN/Cardinal
// ratio (>1: Cardinal faster), achieved TFLOP/s and GB/s (compulsory
// traffic: inputs + outputs once), % of the roofline bound from the H200
// ceilings, and the max relative difference between the two results.
//
// Build and run: bench/gpu/build_and_run_grouped_conv_bench.sh (nvcc only),
// or by hand from the repository root:
//   nvcc -O3 -std=c++17 -arch=sm_90 -I. -I<cudnn include> \
//     bench/gpu/grouped_conv_bench.cu runtime/cuda/Context.cpp \
//     runtime/cuda/Elementwise.cu -o grouped_conv_bench \
//     -L<cudnn lib> -lcudnn -lcublas
//   ./grouped_conv_bench            (no arguments; exit 1 on a mismatch)
// It is also built (not run) by CMake as cuda-grouped-conv-bench.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/GroupedConv.cuh"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cardinal::rt::cuda;

namespace {

// H200 ceilings: measured bf16 dense tensor-core GEMM and device copy
// bandwidth; fp32 is the nominal non-tensor FMA peak of an H200 SXM.
constexpr double kPeakBf16TFlops = 790.0;
constexpr double kPeakFp32TFlops = 67.0;
constexpr double kPeakTBps = 4.3;

constexpr int kBatch = 32;
constexpr int kWarmup = 3, kIters = 20;

void dnn(cudnnStatus_t s, const char *what) {
  if (s != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string(what) + ": " +
                             cudnnGetErrorString(s));
}

/// Median milliseconds of kIters runs of f on ctx.stream.
float timeMs(Context &ctx, const std::function<void()> &f) {
  for (int i = 0; i < kWarmup; ++i)
    f();
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  std::vector<float> ms;
  for (int i = 0; i < kIters; ++i) {
    cudaEventRecord(a, ctx.stream);
    f();
    cudaEventRecord(b, ctx.stream);
    checkCuda(cudaEventSynchronize(b), "timing");
    float t = 0;
    cudaEventElapsedTime(&t, a, b);
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

template <typename T> struct Types;
template <> struct Types<float> {
  static constexpr cudnnDataType_t dnn = CUDNN_DATA_FLOAT;
  static constexpr cudnnMathType_t math = CUDNN_FMA_MATH;
  static constexpr const char *name = "fp32";
  static constexpr double peak = kPeakFp32TFlops;
};
template <> struct Types<bf16> {
  static constexpr cudnnDataType_t dnn = CUDNN_DATA_BFLOAT16;
  static constexpr cudnnMathType_t math = CUDNN_TENSOR_OP_MATH;
  static constexpr const char *name = "bf16";
  static constexpr double peak = kPeakBf16TFlops;
};

template <typename E> struct DevBuf {
  E *p = nullptr;
  size_t n = 0;
  explicit DevBuf(size_t count) : n(count) {
    checkCuda(cudaMalloc(&p, sizeof(E) * count), "cudaMalloc");
  }
  ~DevBuf() { cudaFree(p); }
};

template <typename T> void fillRandom(DevBuf<T> &b, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<T> h(b.n);
  for (auto &e : h)
    e = static_cast<T>(d(rng));
  checkCuda(cudaMemcpy(b.p, h.data(), sizeof(T) * b.n, cudaMemcpyHostToDevice),
            "upload");
}

template <typename E> std::vector<float> toHost(const DevBuf<E> &b) {
  std::vector<E> h(b.n);
  checkCuda(cudaMemcpy(h.data(), b.p, sizeof(E) * b.n, cudaMemcpyDeviceToHost),
            "download");
  return std::vector<float>(h.begin(), h.end());
}

double maxRelDiff(const std::vector<float> &a, const std::vector<float> &b) {
  double diff = 0, scale = 1e-12;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    scale = std::max(scale, double(std::fabs(b[i])));
  }
  return diff / scale;
}

struct Row {
  std::string layer, type, pass;
  float oursMs, cudnnMs;
  double flops, bytes, peak, diff;
};

void printRow(const Row &r) {
  const double tflops = r.flops / (r.oursMs * 1e-3) / 1e12;
  const double gbps = r.bytes / (r.oursMs * 1e-3) / 1e9;
  // Roofline bound of this pass: min(compute peak, intensity x bandwidth).
  const double boundTFlops =
      std::min(r.peak, r.flops / r.bytes * kPeakTBps); // flop/B x TB/s
  std::printf("%-22s %-4s %-5s %9.4f %9.4f %6.2fx %8.2f %8.1f %6.1f%% %9.1e\n",
              r.layer.c_str(), r.type.c_str(), r.pass.c_str(), r.oursMs,
              r.cudnnMs, r.cudnnMs / r.oursMs, tflops, gbps,
              100.0 * tflops / boundTFlops, r.diff);
}

template <int G, int D, int H, int S, typename T>
bool benchLayer(Context &ctx, cudnnHandle_t h, std::vector<Row> &rows) {
  constexpr int C = G * D, OH = (H - 1) / S + 1;
  const int64_t n = kBatch;
  const ConvShape s = ConvShape::make(n, C, H, H, C, 3, 3, S, 1, 1, G);
  DevBuf<T> x(s.inputSize()), w(s.weightSize()), y(s.outputSize()),
      y2(s.outputSize()), dy(s.outputSize()), dx(s.inputSize()),
      dx2(s.inputSize()), dwT(s.weightSize());
  DevBuf<float> dw(s.weightSize());
  fillRandom(x, 1), fillRandom(w, 2), fillRandom(dy, 3);

  cudnnTensorDescriptor_t xd, yd;
  cudnnFilterDescriptor_t wd;
  cudnnConvolutionDescriptor_t cd;
  dnn(cudnnCreateTensorDescriptor(&xd), "desc");
  dnn(cudnnCreateTensorDescriptor(&yd), "desc");
  dnn(cudnnCreateFilterDescriptor(&wd), "desc");
  dnn(cudnnCreateConvolutionDescriptor(&cd), "desc");
  dnn(cudnnSetTensor4dDescriptor(xd, CUDNN_TENSOR_NCHW, Types<T>::dnn, n, C,
                                 H, H),
      "x desc");
  dnn(cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NCHW, Types<T>::dnn, n, C,
                                 OH, OH),
      "y desc");
  dnn(cudnnSetFilter4dDescriptor(wd, Types<T>::dnn, CUDNN_TENSOR_NCHW, C, D, 3,
                                 3),
      "w desc");
  dnn(cudnnSetConvolution2dDescriptor(cd, 1, 1, S, S, 1, 1,
                                      CUDNN_CROSS_CORRELATION,
                                      CUDNN_DATA_FLOAT),
      "conv desc");
  dnn(cudnnSetConvolutionGroupCount(cd, G), "groups");
  dnn(cudnnSetConvolutionMathType(cd, Types<T>::math), "math");

  cudnnConvolutionFwdAlgoPerf_t fp[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  cudnnConvolutionBwdDataAlgoPerf_t dp[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  cudnnConvolutionBwdFilterAlgoPerf_t
      wp[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int nf = 0, nd = 0, nw = 0;
  dnn(cudnnFindConvolutionForwardAlgorithm(h, xd, wd, cd, yd,
                                           CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                           &nf, fp),
      "find fwd");
  dnn(cudnnFindConvolutionBackwardDataAlgorithm(
          h, wd, yd, cd, xd, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &nd, dp),
      "find bwd data");
  dnn(cudnnFindConvolutionBackwardFilterAlgorithm(
          h, xd, yd, cd, wd, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &nw, wp),
      "find bwd filter");
  auto firstOk = [](auto *perf, int count) {
    for (int i = 0; i < count; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS)
        return i;
    throw std::runtime_error("no cuDNN algorithm");
  };
  const auto &f = fp[firstOk(fp, nf)];
  const auto &d = dp[firstOk(dp, nd)];
  const auto &wg = wp[firstOk(wp, nw)];
  const size_t wsBytes =
      std::max({f.memory, d.memory, wg.memory, size_t(1)});
  DevBuf<char> ws(wsBytes);
  const float one = 1.f, zero = 0.f;

  const std::string layer = std::to_string(H) + "x" + std::to_string(H) +
                            " C" + std::to_string(G) + " d" +
                            std::to_string(D) + " s" + std::to_string(S);
  const double flops = 2.0 * n * C * OH * OH * D * 9;
  const double tb = sizeof(T);
  const double xb = tb * s.inputSize(), yb = tb * s.outputSize(),
               wb = tb * s.weightSize();
  bool ok = true;
  auto add = [&](const char *pass, float ours, float theirs, double bytes,
                 double diff) {
    rows.push_back({layer, Types<T>::name, pass, ours, theirs, flops, bytes,
                    Types<T>::peak, diff});
    printRow(rows.back());
    // bf16 outputs are rounded to 8 bits (and cuDNN's wgrad is bf16).
    ok &= diff < (sizeof(T) == 2 ? 3e-2 : 1e-3);
  };

  // Forward.
  const float oursF = timeMs(ctx, [&] {
    groupedConv3x3Forward<G, D, D, H, H, S, T>(ctx, n, x.p, w.p, nullptr, y.p);
  });
  const float dnnF = timeMs(ctx, [&] {
    dnn(cudnnConvolutionForward(h, &one, xd, x.p, wd, w.p, cd, f.algo, ws.p,
                                wsBytes, &zero, yd, y2.p),
        "fwd");
  });
  checkCuda(cudaStreamSynchronize(ctx.stream), "fwd");
  add("fwd", oursF, dnnF, xb + wb + yb, maxRelDiff(toHost(y), toHost(y2)));

  // Backward data.
  const float oursD = timeMs(ctx, [&] {
    groupedConv3x3BackwardData<G, D, D, H, H, S, T>(ctx, n, dy.p, w.p, dx.p,
                                                     false);
  });
  const float dnnD = timeMs(ctx, [&] {
    dnn(cudnnConvolutionBackwardData(h, &one, wd, w.p, yd, dy.p, cd, d.algo,
                                     ws.p, wsBytes, &zero, xd, dx2.p),
        "bwd data");
  });
  checkCuda(cudaStreamSynchronize(ctx.stream), "bwd data");
  add("dgrad", oursD, dnnD, yb + wb + xb, maxRelDiff(toHost(dx), toHost(dx2)));

  // Backward weight (ours writes fp32 dw; cuDNN writes T).
  const float oursW = timeMs(ctx, [&] {
    groupedConv3x3BackwardWeight<G, D, D, H, H, S, T>(ctx, n, x.p, dy.p, dw.p,
                                                       nullptr);
  });
  const float dnnW = timeMs(ctx, [&] {
    dnn(cudnnConvolutionBackwardFilter(h, &one, xd, x.p, yd, dy.p, cd,
                                       wg.algo, ws.p, wsBytes, &zero, wd,
                                       dwT.p),
        "bwd filter");
  });
  checkCuda(cudaStreamSynchronize(ctx.stream), "bwd filter");
  add("wgrad", oursW, dnnW, xb + yb + 4.0 * s.weightSize(),
      maxRelDiff(toHost(dw), toHost(dwT)));

  cudnnDestroyConvolutionDescriptor(cd);
  cudnnDestroyFilterDescriptor(wd);
  cudnnDestroyTensorDescriptor(yd);
  cudnnDestroyTensorDescriptor(xd);
  return ok;
}

template <typename T> bool benchAll(Context &ctx, cudnnHandle_t h,
                                    std::vector<Row> &rows) {
  bool ok = true;
  // conv2 (56x56, d=4); first blocks of conv3..conv5 (stride 2) and the
  // remaining blocks of each stage.
  ok &= benchLayer<32, 4, 56, 1, T>(ctx, h, rows);
  ok &= benchLayer<32, 8, 56, 2, T>(ctx, h, rows);
  ok &= benchLayer<32, 8, 28, 1, T>(ctx, h, rows);
  ok &= benchLayer<32, 16, 28, 2, T>(ctx, h, rows);
  ok &= benchLayer<32, 16, 14, 1, T>(ctx, h, rows);
  ok &= benchLayer<32, 32, 14, 2, T>(ctx, h, rows);
  ok &= benchLayer<32, 32, 7, 1, T>(ctx, h, rows);
  return ok;
}

} // namespace

int main() {
  Context *ctx = nullptr;
  try {
    ctx = createContext(0, 64u << 20);
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, 0);
    std::printf("ResNeXt-50 32x4d grouped 3x3 convs, batch %d, NCHW, %s; "
                "median of %d runs\n",
                kBatch, prop.name, kIters);
    std::printf("ceilings: bf16 %.0f TFLOP/s (measured), fp32 %.0f TFLOP/s "
                "(nominal), %.1f TB/s copy; %%roof = achieved / "
                "min(peak, intensity x bandwidth)\n",
                kPeakBf16TFlops, kPeakFp32TFlops, kPeakTBps);
    std::printf("%-22s %-4s %-5s %9s %9s %7s %8s %8s %7s %9s\n", "layer",
                "type", "pass", "ours ms", "cuDNN ms", "speedup", "TFLOP/s",
                "GB/s", "%roof", "max rel");
    std::vector<Row> rows;
    bool ok = benchAll<float>(*ctx, ctx->cudnn, rows);
    ok &= benchAll<bf16>(*ctx, ctx->cudnn, rows);
    double ours = 0, theirs = 0;
    for (const Row &r : rows)
      ours += r.oursMs, theirs += r.cudnnMs;
    std::printf("total: ours %.3f ms, cuDNN %.3f ms (%.2fx)\n", ours, theirs,
                theirs / ours);
    destroyContext(ctx);
    if (!ok) {
      std::printf("FAIL: a result differs from cuDNN's beyond tolerance\n");
      return 1;
    }
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "grouped_conv_bench: %s\n", e.what());
    destroyContext(ctx);
    return 1;
  }
}
