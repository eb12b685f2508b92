//===- EquivCheck.cpp ------------------------------------------------------===//
#include "proof/EquivCheck.h"
#include "proof/Respecialize.h"

#include "interp/Interpreter.h"
#include "ir/NNDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <set>
#include <sstream>

using namespace mlir;
namespace nn = cardinal::nn;
using cardinal::GF61;

namespace cardinal::proof {

namespace {

// A clone of `f` in its own module, re-specialized to a small input.
struct SmallCopy {
  OwningOpRef<ModuleOp> module;
  func::FuncOp fn;
  std::string error;
};

SmallCopy smallCopy(func::FuncOp f, const CheckOptions &o, bool training) {
  SmallCopy c;
  c.module = ModuleOp::create(f.getLoc());
  c.module->getBody()->push_back(f.clone());
  c.fn = *c.module->getOps<func::FuncOp>().begin();
  int64_t hw = o.spatial;
  c.fn.walk([&](nn::InputOp in) {
    auto t = cast<RankedTensorType>(in.getType());
    if (t.getRank() == 4)
      hw = std::min<int64_t>(hw, t.getDimSize(2));
  });
  std::string why;
  ScopedDiagnosticHandler handler(f.getContext(), [&](Diagnostic &d) {
    if (why.empty())
      why = d.str();
    return success();
  });
  if (failed(respecialize(c.fn, o.batch, hw)))
    c.error = why;
  if (training)
    c.fn.walk([](nn::BatchNormOp bn) { bn.setTraining(true); });
  return c;
}

template <typename T>
FailureOr<std::vector<HostTensor<T>>> run(func::FuncOp f, const TensorMap<T> &p,
                                          const TensorMap<T> &in,
                                          uint64_t *degree, std::string &error,
                                          interp::EvalTrace<T> *trace = nullptr) {
  ScopedDiagnosticHandler handler(f.getContext(), [&](Diagnostic &d) {
    if (error.empty()) {
      llvm::raw_string_ostream os(error);
      os << d.getLocation() << ": " << d.str();
    }
    return success();
  });
  return interp::evaluate<T>(f, p, in, interp::EvalOptions{}, trace, degree);
}

template <typename T>
std::optional<TensorMap<T>> mapped(const ParamMap &m, const TensorMap<T> &p,
                                   std::string &error) {
  return tryApplyParamMap(m, p, &error);
}

// Evaluates both graphs over GF(2^61-1) on the same inputs and fills the
// verdict (ran, degree, bound, equivalent); false if an evaluation failed.
bool compareOverGF(func::FuncOp a, const TensorMap<GF61> &pa, func::FuncOp b,
                   const TensorMap<GF61> &pb, const TensorMap<GF61> &inputs,
                   ExactVerdict &v, interp::EvalTrace<GF61> *ta = nullptr,
                   interp::EvalTrace<GF61> *tb = nullptr,
                   std::vector<HostTensor<GF61>> *ra = nullptr,
                   std::vector<HostTensor<GF61>> *rb = nullptr) {
  std::string error;
  uint64_t da = 0, db = 0;
  auto xa = run<GF61>(a, pa, inputs, &da, error, ta);
  auto xb = succeeded(xa) ? run<GF61>(b, pb, inputs, &db, error, tb)
                          : FailureOr<std::vector<HostTensor<GF61>>>(failure());
  if (failed(xa) || failed(xb)) {
    v.detail = "evaluation failed: " + error;
    return false;
  }
  v.ran = true;
  v.degree = std::max(da, db);
  v.errorBound = double(v.degree) / double(GF61::kP);
  v.equivalent = *xa == *xb;
  if (ra)
    *ra = std::move(*xa);
  if (rb)
    *rb = std::move(*xb);
  return true;
}

// The source graph and the two compared ones, re-specialized once per BN
// mode and shared by every check of that mode.
struct SmallPair {
  SmallCopy s, a, b;
  SmallPair(func::FuncOp source, func::FuncOp x, func::FuncOp y,
            const CheckOptions &o, bool training)
      : s(smallCopy(source, o, training)), a(smallCopy(x, o, training)),
        b(smallCopy(y, o, training)) {}
  const std::string &error() const {
    return !s.error.empty() ? s.error : !a.error.empty() ? a.error : b.error;
  }
};

ExactVerdict exact(const SmallPair &p, const ParamMap &mx, const ParamMap &my,
                   const CheckOptions &o) {
  ExactVerdict v;
  if (!p.error().empty()) {
    v.detail = p.error();
    return v;
  }
  const SmallCopy &s = p.s, &a = p.a, &b = p.b;
  auto params = interp::randomParams<GF61>(s.fn, o.seed);
  auto inputs = interp::randomInputs<GF61>(a.fn, o.seed + 1);
  std::string error;
  auto pa = mapped(mx, params, error);
  auto pb = pa ? mapped(my, params, error) : std::nullopt;
  if (!pa || !pb) {
    v.detail = "parameter map: " + error;
    return v;
  }
  if (!compareOverGF(a.fn, *pa, b.fn, *pb, inputs, v))
    return v;
  if (!v.equivalent)
    v.detail = "outputs differ over GF(2^61-1)";
  return v;
}

template <typename T>
double floatDelta(const SmallPair &p, const ParamMap &mx, const ParamMap &my,
                  const CheckOptions &o) {
  if (!p.error().empty())
    return -1;
  const SmallCopy &s = p.s, &a = p.a, &b = p.b;
  auto params = interp::randomParams<T>(s.fn, o.seed);
  auto inputs = interp::randomInputs<T>(a.fn, o.seed + 1);
  std::string error;
  auto pa = mapped(mx, params, error);
  auto pb = pa ? mapped(my, params, error) : std::nullopt;
  if (!pa || !pb)
    return -1;
  auto ra = run<T>(a.fn, *pa, inputs, nullptr, error);
  auto rb = run<T>(b.fn, *pb, inputs, nullptr, error);
  if (failed(ra) || failed(rb) || ra->size() != rb->size())
    return -1;
  double worst = 0;
  for (size_t i = 0; i < ra->size(); ++i)
    for (size_t j = 0; j < (*ra)[i].data.size(); ++j)
      worst = std::max(worst, std::fabs(double((*ra)[i].data[j]) -
                                        double((*rb)[i].data[j])));
  return worst;
}

std::string index(const std::vector<int64_t> &shape, size_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::ostringstream os;
  os << "[";
  for (size_t d = 0; d < idx.size(); ++d)
    os << (d ? "," : "") << idx[d];
  os << "]";
  return os.str();
}

// x's and y's parameters: random per (seed, name), so equal names with equal
// shapes share values; or y's made from x's through a recorded map.
template <typename T>
std::optional<std::pair<TensorMap<T>, TensorMap<T>>>
paramsFor(func::FuncOp x, func::FuncOp y, const ParamMap *yFromX,
          uint64_t seed, std::string &error) {
  TensorMap<T> px = interp::randomParams<T>(x, seed);
  if (!yFromX)
    return std::make_pair(px, interp::randomParams<T>(y, seed));
  auto py = tryApplyParamMap(*yFromX, px, &error);
  if (!py)
    return std::nullopt;
  return std::make_pair(std::move(px), std::move(*py));
}

} // namespace

PairCheck checkPair(func::FuncOp source, func::FuncOp x, const ParamMap &mx,
                    func::FuncOp y, const ParamMap &my, const CheckOptions &o) {
  PairCheck c;
  SmallPair eval(source, x, y, o, /*training=*/false);
  c.exactEval = exact(eval, mx, my, o);
  c.float64MaxAbs = floatDelta<double>(eval, mx, my, o);
  c.float32MaxAbs = floatDelta<float>(eval, mx, my, o);
  c.exactTrain = exact(SmallPair(source, x, y, o, /*training=*/true), mx, my, o);
  return c;
}

ExactVerdict checkGraphs(func::FuncOp x, func::FuncOp y,
                         const ParamMap *yFromX, const CheckOptions &o) {
  ExactVerdict v;
  SmallCopy a = smallCopy(x, o, false), b = smallCopy(y, o, false);
  if (!a.error.empty() || !b.error.empty()) {
    v.detail = a.error.empty() ? b.error : a.error;
    return v;
  }
  std::string error;
  auto params = paramsFor<GF61>(a.fn, b.fn, yFromX, o.seed, error);
  if (!params) {
    v.detail = "parameter map: " + error;
    return v;
  }
  auto inputs = interp::randomInputs<GF61>(a.fn, o.seed + 1);
  interp::EvalTrace<GF61> ta, tb;
  std::vector<HostTensor<GF61>> outA, outB;
  if (!compareOverGF(a.fn, params->first, b.fn, params->second, inputs, v,
                     &ta, &tb, &outA, &outB) ||
      v.equivalent)
    return v;
  auto *ra = &outA, *rb = &outB;

  // Counterexample: the first differing output element, in float64 too.
  std::ostringstream os;
  auto fp = paramsFor<double>(a.fn, b.fn, yFromX, o.seed, error);
  auto fin = interp::randomInputs<double>(a.fn, o.seed + 1);
  FailureOr<std::vector<HostTensor<double>>> fa = failure(), fb = failure();
  if (fp) {
    fa = run<double>(a.fn, fp->first, fin, nullptr, error);
    fb = run<double>(b.fn, fp->second, fin, nullptr, error);
  }
  for (size_t i = 0; i < ra->size(); ++i) {
    const auto &ea = (*ra)[i].data, &eb = (*rb)[i].data;
    for (size_t j = 0; j < ea.size(); ++j)
      if (!(ea[j] == eb[j])) {
        os << "input: batch " << o.batch << ", seed " << o.seed
           << " (uniform in [-1, 1)); first differing value: result #" << i
           << index((*ra)[i].shape, j);
        if (succeeded(fa) && succeeded(fb))
          os << " = " << (*fa)[i].data[j] << " vs " << (*fb)[i].data[j]
             << " (float64)";
        j = ea.size();
        i = ra->size();
        break;
      }
  }
  // Divergence: the first op of x whose value y never computes.
  std::vector<const HostTensor<GF61> *> seen;
  for (auto &[op, t] : tb.values)
    seen.push_back(&t);
  for (auto &[op, t] : ta.values) {
    if (isa<nn::ParamOp, nn::StateOp, nn::InputOp>(op))
      continue;
    bool found = false;
    for (auto *s : seen)
      if (*s == t) {
        found = true;
        break;
      }
    if (!found) {
      std::string where;
      llvm::raw_string_ostream ws(where);
      ws << op->getName() << " at " << op->getLoc();
      os << "; the graphs diverge at " << ws.str();
      break;
    }
  }
  v.detail = os.str();
  return v;
}

} // namespace cardinal::proof
