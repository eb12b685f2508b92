//===- Loss.h - softmax cross-entropy and top-k accuracy -------------------===//
//
// logits [n, k] row-major, labels [n] int32 in [0, k) (the runtime's data
// loaders produce int32 labels). The loss is the mean over the batch, as
// PyTorch's CrossEntropyLoss(reduction='mean').
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_LOSS_H
#define CARDINAL_RUNTIME_KERNELS_LOSS_H

#include <cstdint>

namespace cardinal::rt {

/// Returns mean_i (logsumexp(logits_i) - logits_i[labels_i]); writes the
/// softmax to probs if non-null.
template <typename T>
T softmaxCrossEntropyForward(int64_t n, int64_t k, const T *logits,
                             const int32_t *labels, T *probs);

/// dlogits = (softmax(logits) - onehot(labels)) * dloss / n.
template <typename T>
void softmaxCrossEntropyBackward(int64_t n, int64_t k, const T *logits,
                                 const int32_t *labels, T dloss, T *dlogits);

struct TopKCorrect {
  int64_t top1 = 0, top5 = 0;
};

/// How many rows have their label ranked first / within the first five.
/// A label's rank counts the classes with a larger logit, and equal logits
/// with a smaller index (a stable descending sort).
template <typename T>
TopKCorrect countTopKCorrect(int64_t n, int64_t k, const T *logits,
                             const int32_t *labels);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_LOSS_H
