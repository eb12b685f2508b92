//===- EquivCheck.h - exact and float checks of two graphs -----------------===//
//
// Exact: both graphs evaluated over GF(2^61-1) on the same random inputs and
// weights (one graph's weights mapped to the other's by the parameter maps),
// with channelwise non-linear ops replaced by random keyed functions (see
// interp/Interpreter.h). Linear algebra is exact there, so different outputs
// prove the graphs differ, and equal outputs leave a chance of at most
// degree/p that they differ (Schwartz–Zippel), reported as the error bound.
// Float: the same in float64 and float32 with ordinary weights; max |Δ|.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PROOF_EQUIVCHECK_H
#define CARDINAL_PROOF_EQUIVCHECK_H

#include "passes/ParamMap.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace cardinal::proof {

struct CheckOptions {
  int64_t batch = 2;
  int64_t spatial = 3; // checks run at min(this, the graph's own size)
  uint64_t seed = 1;
};

struct ExactVerdict {
  bool ran = false;
  bool equivalent = false;
  uint64_t degree = 0;
  double errorBound = 0; // P(a difference escapes) <= degree / p
  std::string detail;    // why it did not run, or where outputs differ
};

struct PairCheck {
  ExactVerdict exactEval;  // BN with running statistics
  ExactVerdict exactTrain; // BN with batch statistics
  double float64MaxAbs = -1, float32MaxAbs = -1; // -1: did not run
};

/// Checks that `x` and `y` compute the same function of the parameters of
/// `source`: x reads applyParamMap(mapX, P), y reads applyParamMap(mapY, P)
/// for random P over `source`'s parameters. Functions are cloned, never
/// mutated.
PairCheck checkPair(mlir::func::FuncOp source, mlir::func::FuncOp x,
                    const ParamMap &mapX, mlir::func::FuncOp y,
                    const ParamMap &mapY, const CheckOptions &options = {});

/// One random-point check of two arbitrary graphs. Parameters correspond by
/// name (a value per name and shape, shared by both graphs), or, when
/// `yFromX` is given, y's parameters are made from x's by that map (e.g. the
/// nn.param_map a form conversion recorded). On a difference, `detail` names
/// the first differing output element (with float64 values) and the first op
/// of `x` whose value occurs nowhere in `y`'s evaluation.
ExactVerdict checkGraphs(mlir::func::FuncOp x, mlir::func::FuncOp y,
                         const ParamMap *yFromX = nullptr,
                         const CheckOptions &options = {});

} // namespace cardinal::proof

#endif
