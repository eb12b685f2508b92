//===- LogisticModel.h - a hand-written CompiledModel for trainer tests ----===//
//
// Multinomial logistic regression on flattened images, written with plain
// loops: what a generated trainer provides, small enough that trainer tests
// run in milliseconds. SGD matches StepHyper the way PyTorch does it:
// g = grad + wd·w, v = momentum·v + g, w -= lr·v. A fake BN running mean
// (per input channel) exercises State tensors in checkpoints.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_TRAINER_LOGISTICMODEL_H
#define CARDINAL_TESTS_TRAINER_LOGISTICMODEL_H

#include "runtime/trainer/CompiledModel.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace cardinal::rt::trainertest {

class LogisticModel final : public CompiledModel {
public:
  explicit LogisticModel(int64_t batch = 32, int64_t c = 1, int64_t h = 8,
                         int64_t w = 8, int64_t classes = 10,
                         std::string name = "logistic")
      : name_(std::move(name)), batch_(batch), c_(c), h_(h), w_(w),
        k_(classes), d_(c * h * w), weight_(k_ * d_), bias_(k_),
        runningMean_(c_), vWeight_(k_ * d_), vBias_(k_) {
    using K = NamedTensor::Kind;
    tensors_ = {
        {"fc.weight", K::Param, "linear_uniform", {k_, d_}, weight_.data()},
        {"fc.bias", K::Param, "zeros", {k_}, bias_.data()},
        {"norm.running_mean", K::State, "zeros", {c_}, runningMean_.data()},
        {"fc.weight.velocity", K::Velocity, "zeros", {k_, d_}, vWeight_.data()},
        {"fc.bias.velocity", K::Velocity, "zeros", {k_}, vBias_.data()},
    };
  }

  std::string name() const override { return name_; }
  int64_t batch() const override { return batch_; }
  int64_t channels() const override { return c_; }
  int64_t height() const override { return h_; }
  int64_t width() const override { return w_; }
  int64_t classes() const override { return k_; }
  int64_t arenaBytes() const override {
    return static_cast<int64_t>(sizeof(float)) * batch_ * k_ * 2;
  }
  std::vector<NamedTensor> &tensors() override { return tensors_; }
  StepHyper defaultHyper() const override { return {0.1f, 0.9f, 1e-4f}; }

  StepStats trainStep(const float *images, const int32_t *labels,
                      const StepHyper &hyper) override {
    std::vector<float> logits(batch_ * k_), gW(k_ * d_, 0.0f), gB(k_, 0.0f);
    predict(images, logits.data());
    StepStats stats;
    const int64_t top = std::min<int64_t>(5, k_);
    for (int64_t n = 0; n < batch_; ++n) {
      float *z = logits.data() + n * k_;
      const int32_t y = labels[n];
      int64_t rank = 0;
      for (int64_t k = 0; k < k_; ++k)
        rank += z[k] > z[y] || (z[k] == z[y] && k < y);
      stats.correct1 += rank < 1;
      stats.correct5 += rank < top;
      const float zmax = *std::max_element(z, z + k_);
      float sum = 0;
      for (int64_t k = 0; k < k_; ++k)
        sum += std::exp(z[k] - zmax);
      stats.loss += std::log(sum) + zmax - z[y];
      // dLoss/dz = (softmax - onehot) / batch
      const float *x = images + n * d_;
      for (int64_t k = 0; k < k_; ++k) {
        const float g =
            (std::exp(z[k] - zmax) / sum - (k == y ? 1.0f : 0.0f)) / batch_;
        gB[k] += g;
        for (int64_t i = 0; i < d_; ++i)
          gW[k * d_ + i] += g * x[i];
      }
    }
    stats.loss /= batch_;
    sgd(weight_, vWeight_, gW, hyper);
    sgd(bias_, vBias_, gB, hyper);
    // The fake BN: running mean of each input channel, momentum 0.1.
    const int64_t plane = h_ * w_;
    for (int64_t ch = 0; ch < c_; ++ch) {
      double mean = 0;
      for (int64_t n = 0; n < batch_; ++n)
        for (int64_t i = 0; i < plane; ++i)
          mean += images[n * d_ + ch * plane + i];
      mean /= static_cast<double>(batch_ * plane);
      runningMean_[ch] = 0.9f * runningMean_[ch] + 0.1f * static_cast<float>(mean);
    }
    return stats;
  }

  void predict(const float *images, float *logits) override {
    ++predictCalls;
    for (int64_t n = 0; n < batch_; ++n)
      for (int64_t k = 0; k < k_; ++k) {
        float z = bias_[k];
        for (int64_t i = 0; i < d_; ++i)
          z += weight_[k * d_ + i] * images[n * d_ + i];
        logits[n * k_ + k] = z;
      }
  }

  int64_t predictCalls = 0;

private:
  static void sgd(std::vector<float> &w, std::vector<float> &v,
                  const std::vector<float> &g, const StepHyper &h) {
    for (size_t i = 0; i < w.size(); ++i) {
      v[i] = h.momentum * v[i] + g[i] + h.weightDecay * w[i];
      w[i] -= h.lr * v[i];
    }
  }

  std::string name_;
  int64_t batch_, c_, h_, w_, k_, d_;
  std::vector<float> weight_, bias_, runningMean_, vWeight_, vBias_;
  std::vector<NamedTensor> tensors_;
};

} // namespace cardinal::rt::trainertest

#endif // CARDINAL_TESTS_TRAINER_LOGISTICMODEL_H
