//===- Interpreter.h - the reference evaluator of nn functions ------------===//
//
// Evaluates a func.func of the nn dialect on the CPU, in float, double or
// GF(2^61-1): the forward ops, and in float/double the backward ops that
// --nn-autodiff emits (ir/NNGradOps.td; kernels in GradKernels.h). It is the
// oracle of the equivalence prover and of every backend, so it favours
// obvious correctness over speed.
//
// Semantics beyond the op descriptions:
//  - nn.aggregate {cardinality = C}: Σ_{i<C} T_i(x), where path i looks every
//    nn.param / nn.state name N up as pathParamName(N, i) (PathNames.h);
//    nested aggregates apply the rule per level, outermost index first.
//  - float / double: standard; BN in training mode normalizes with batch mean
//    and biased batch variance over N, H, W and does not update the running
//    statistics (forward only).
//  - GF61 (DESIGN §4): linear ops exact; global_avg_pool = sum · (H·W)⁻¹;
//    max_pool2d = the sum over the window (a linear stand-in); ReLU and BN's
//    1/sqrt become random keyed cubics per channel, chosen by channel labels
//    that travel with the values (GFKernels.h; BN's is also keyed by eps);
//    softmax_cross_entropy is unsupported (an error), and so is every
//    backward op ("unsupported in GF(2^61-1)").
//  - Backward ops (float / double): the VJPs documented in NNGradOps.td;
//    batch_norm_grad recomputes the batch statistics of its input as the
//    training-mode forward does; max_pool2d_grad routes dy to the first
//    maximum of each window (kh-major order; padding never wins).
//  - Fused training ops (--nn-fuse-conv-bn-relu): nn.bn_train_relu is the
//    composition training BN -> ReLU in every type (over GF61 the same keyed
//    functions, so the exact check compares it op for op); nn.bn_relu_grad
//    is batch_norm_grad(relu_grad(dy, y), x, scale) in float / double and,
//    like every backward op, unsupported in GF61.
//    nn.sgd_update (an in-place parameter update) is unsupported: evaluate
//    the gradients before --nn-sgd.
//  - Values are dropped after their last use, so memory follows the live
//    activations; a full ResNeXt-50 at 224² takes ~7 s in double and ~20 s
//    in GF61 on one core.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_INTERPRETER_H
#define CARDINAL_INTERP_INTERPRETER_H

#include "interp/GF61.h"
#include "interp/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cardinal::interp {

struct EvalOptions {
  /// Key of GF61's keyed channelwise functions; change it to draw new ones.
  uint64_t gfKey = 0x5eed;
};

/// Every op result of the function body in program order (an aggregate
/// contributes its result, not its paths' values; an op with several
/// results, nn.batch_norm_grad, one entry per result, in result order).
template <typename T> struct EvalTrace {
  std::vector<std::pair<mlir::Operation *, HostTensor<T>>> values;
};

/// Evaluates `f`. `params` holds nn.param and nn.state values by (per-path)
/// name, `inputs` nn.input values by name; integer label inputs hold
/// integral values in T. Returns the values of func.return's operands. A
/// missing name, a wrong shape or an unsupported op is reported on the op
/// and yields failure. `degreeBound`, if given, receives a saturating bound
/// on the total degree of the outputs as polynomials in the inputs,
/// parameters and state (for Schwartz–Zippel over GF61).
template <typename T>
mlir::FailureOr<std::vector<HostTensor<T>>>
evaluate(mlir::func::FuncOp f, const TensorMap<T> &params,
         const TensorMap<T> &inputs, const EvalOptions &opts = {},
         EvalTrace<T> *trace = nullptr, uint64_t *degreeBound = nullptr);

/// A deterministic random value (from `seed` and the name) for every
/// nn.param / nn.state name `f` needs, per-path names of aggregates included.
/// Floats follow the initializer's scale (he_normal, linear_uniform) and
/// keep "ones" positive (so running variances are valid); GF61 is uniform.
template <typename T> TensorMap<T> randomParams(mlir::func::FuncOp f, uint64_t seed);

/// A deterministic random value for every nn.input of `f`: floats uniform in
/// [-1, 1), GF61 uniform; integer labels uniform in [0, classes), classes
/// taken from the softmax_cross_entropy (or softmax_cross_entropy_grad) that
/// reads them (10 otherwise).
template <typename T> TensorMap<T> randomInputs(mlir::func::FuncOp f, uint64_t seed);

extern template mlir::FailureOr<std::vector<HostTensor<float>>>
evaluate(mlir::func::FuncOp, const TensorMap<float> &,
         const TensorMap<float> &, const EvalOptions &, EvalTrace<float> *,
         uint64_t *);
extern template mlir::FailureOr<std::vector<HostTensor<double>>>
evaluate(mlir::func::FuncOp, const TensorMap<double> &,
         const TensorMap<double> &, const EvalOptions &, EvalTrace<double> *,
         uint64_t *);
extern template mlir::FailureOr<std::vector<HostTensor<GF61>>>
evaluate(mlir::func::FuncOp, const TensorMap<GF61> &, const TensorMap<GF61> &,
         const EvalOptions &, EvalTrace<GF61> *, uint64_t *);
extern template TensorMap<float> randomParams<float>(mlir::func::FuncOp, uint64_t);
extern template TensorMap<double> randomParams<double>(mlir::func::FuncOp, uint64_t);
extern template TensorMap<GF61> randomParams<GF61>(mlir::func::FuncOp, uint64_t);
extern template TensorMap<float> randomInputs<float>(mlir::func::FuncOp, uint64_t);
extern template TensorMap<double> randomInputs<double>(mlir::func::FuncOp, uint64_t);
extern template TensorMap<GF61> randomInputs<GF61>(mlir::func::FuncOp, uint64_t);

} // namespace cardinal::interp

#endif // CARDINAL_INTERP_INTERPRETER_H
