//===- Evaluate.h - test-set loss and top-1 / top-5 error ------------------===//
//
// predict() is specialized to one batch size, so the last partial batch is
// padded with zero images and the padding rows' logits are ignored.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_TRAINER_EVALUATE_H
#define CARDINAL_RUNTIME_TRAINER_EVALUATE_H

#include "runtime/comm/Communicator.h"
#include "runtime/data/BatchSource.h"
#include "runtime/data/Dataset.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdint>

namespace cardinal::rt {

struct EvalResult {
  double loss = 0;    ///< mean cross-entropy
  double top1Err = 0; ///< percent
  double top5Err = 0; ///< percent (top-k with k = min(5, classes))
  int64_t samples = 0;
};

/// How one sample's logits score against its label. A label is within top-k
/// when fewer than k classes beat it (a higher logit, or an equal logit at a
/// lower index); non-finite logits never score.
struct SampleScore {
  double loss = 0;
  bool top1 = false, top5 = false;
};
SampleScore scoreLogits(const float *logits, int64_t classes, int32_t label);

/// Runs predict() over all of `data` in dataset order.
EvalResult evaluate(CompiledModel &model, const Dataset &data);

/// The sums behind an EvalResult (data-parallel ranks can add these up).
struct EvalSums {
  double loss = 0;
  int64_t top1 = 0, top5 = 0, samples = 0;
};
/// Means and error percentages of the sums.
EvalResult evalResult(const EvalSums &sums);

/// Runs predict() over one epoch (epoch 0) of `data`, whose batch size and
/// sample size must be the model's (std::runtime_error otherwise). On a
/// data-parallel rank, `data` is that rank's shard and the ranks' sums add
/// up to the whole test set's.
EvalSums evaluateSums(CompiledModel &model, BatchSource &data);

/// Data-parallel evaluation: each rank scores its shard (`data`, e.g.
/// OpenedData::testSource with the rank and size of `comm`), the sums are
/// added up over the ranks; every rank returns the whole set's result.
EvalResult evaluateOnRanks(CompiledModel &model, BatchSource &data,
                           Communicator &comm);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_TRAINER_EVALUATE_H
