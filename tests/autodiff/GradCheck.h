//===- GradCheck.h - training graphs and finite-difference checks ---------===//
//
// Helpers of the autodiff tests: a forward graph (nn text or DSL) goes
// through the real pass pipeline (optionally --nn-lower-aggregate, then
// --nn-attach-loss; a clone then --nn-autodiff), and the gradients the
// differentiated function computes in the reference interpreter (double) are
// compared with central finite differences of the loss of the
// undifferentiated function.
//
// Kinks: ReLU and max pool are only piecewise smooth. Each finite-difference
// evaluation records its "kink signature" (the sign pattern of every ReLU
// and the argmax of every max-pool window); a difference whose ± evaluations
// are not on the base point's piece straddles a kink, is not a derivative,
// and is skipped (and counted; the tests require skips to be rare).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_AUTODIFF_GRADCHECK_H
#define CARDINAL_TESTS_AUTODIFF_GRADCHECK_H

#include "frontend/DSL.h"
#include "interp/Hash.h"
#include "interp/HostTensor.h"
#include "interp/Interpreter.h"
#include "interp/ParamSpecs.h"
#include "ir/NNDialect.h"
#include "ir/NNGradOps.h"
#include "passes/Passes.h"
#include "passes/training/TrainingPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/DenseMap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace cardinal::testing {

/// Collects the diagnostics emitted while it lives.
class DiagnosticCapture {
public:
  explicit DiagnosticCapture(mlir::MLIRContext *ctx)
      : handler_(ctx, [this](mlir::Diagnostic &d) {
          text_ += d.str() + "\n";
          return mlir::success();
        }) {}
  const std::string &text() const { return text_; }

private:
  std::string text_;
  mlir::ScopedDiagnosticHandler handler_;
};

inline void registerCardinalPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    cardinal::registerNNPasses();
    cardinal::registerNNTrainingPasses();
  });
}

inline std::unique_ptr<mlir::MLIRContext> makeContext() {
  auto ctx = std::make_unique<mlir::MLIRContext>();
  ctx->loadDialect<cardinal::nn::NNDialect, mlir::func::FuncDialect>();
  return ctx;
}

inline mlir::func::FuncOp firstFunc(mlir::ModuleOp m) {
  return *m.getOps<mlir::func::FuncOp>().begin();
}

/// Runs a textual pipeline (e.g. "nn-attach-loss") on `m`; on failure the
/// diagnostics go to `errors`.
inline bool runPipeline(mlir::ModuleOp m, const std::string &pipeline,
                        std::string &errors) {
  registerCardinalPasses();
  DiagnosticCapture diags(m.getContext());
  mlir::PassManager pm(m.getContext(), mlir::ModuleOp::getOperationName());
  std::string parseErrors;
  llvm::raw_string_ostream os(parseErrors);
  if (mlir::failed(mlir::parsePassPipeline(pipeline, pm, os))) {
    errors = "bad pipeline '" + pipeline + "': " + os.str();
    return false;
  }
  if (mlir::failed(pm.run(m))) {
    errors = "pipeline '" + pipeline + "' failed:\n" + diags.text();
    return false;
  }
  return true;
}

/// The three stages of one model, in one context.
struct TrainingGraphs {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> forward; // as given (after `prefix`)
  mlir::OwningOpRef<mlir::ModuleOp> loss;    // + nn-attach-loss: (loss, logits)
  mlir::OwningOpRef<mlir::ModuleOp> train;   // + nn-autodiff: (loss, logits, grads...)
  std::string errors;

  explicit operator bool() const { return forward && loss && train; }
  mlir::func::FuncOp forwardFn() const { return firstFunc(*forward); }
  mlir::func::FuncOp lossFn() const { return firstFunc(*loss); }
  mlir::func::FuncOp trainFn() const { return firstFunc(*train); }
};

/// Parses `text` (a function returning NxK logits), runs `prefix` (a
/// pipeline such as "nn-lower-aggregate{form=c}", or ""), then builds the
/// loss and training graphs with the real passes.
inline TrainingGraphs prepareTraining(const std::string &text,
                                      const std::string &prefix = "") {
  TrainingGraphs g;
  g.context = makeContext();
  {
    DiagnosticCapture diags(g.context.get());
    g.forward = mlir::parseSourceString<mlir::ModuleOp>(text, g.context.get());
    if (!g.forward) {
      g.errors = "parse failed:\n" + diags.text();
      return g;
    }
  }
  if (!prefix.empty() && !runPipeline(*g.forward, prefix, g.errors)) {
    g.forward = nullptr;
    return g;
  }
  g.loss = g.forward->clone();
  if (!runPipeline(*g.loss, "nn-attach-loss", g.errors)) {
    g.loss = nullptr;
    return g;
  }
  g.train = g.loss->clone();
  if (!runPipeline(*g.train, "nn-autodiff", g.errors))
    g.train = nullptr;
  return g;
}

/// The same from a DSL builder (which must call g.output({logits})).
inline TrainingGraphs
prepareTraining(const std::string &name,
                const std::function<void(dsl::Graph &)> &build,
                const std::string &prefix = "") {
  dsl::Graph g(name);
  build(g);
  return prepareTraining(g.toMLIR(), prefix);
}

//===----------------------------------------------------------------------===//
// Kink signatures.
//===----------------------------------------------------------------------===//

/// Which piece of a piecewise-smooth function the evaluation is on.
struct KinkSignature {
  std::vector<std::vector<uint8_t>> relu;   // per ReLU: output > 0
  std::vector<std::vector<int64_t>> argmax; // per max pool: window argmax
  bool operator==(const KinkSignature &o) const {
    return relu == o.relu && argmax == o.argmax;
  }
  bool operator!=(const KinkSignature &o) const { return !(*this == o); }
};

/// First in-bounds maximum of every window (independent of the kernels).
inline std::vector<int64_t> windowArgmax(const HostTensor<double> &x,
                                         nn::MaxPool2dOp op) {
  auto k = op.getKernel(), s = op.getStrides(), p = op.getPadding();
  auto outShape = llvm::cast<mlir::ShapedType>(op.getType()).getShape();
  const int64_t NC = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3];
  std::vector<int64_t> out;
  for (int64_t nc = 0; nc < NC; ++nc)
    for (int64_t oh = 0; oh < outShape[2]; ++oh)
      for (int64_t ow = 0; ow < outShape[3]; ++ow) {
        int64_t best = -1;
        for (int64_t kh = 0; kh < k[0]; ++kh)
          for (int64_t kw = 0; kw < k[1]; ++kw) {
            int64_t ih = oh * s[0] - p[0] + kh, iw = ow * s[1] - p[1] + kw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W)
              continue;
            int64_t at = (nc * H + ih) * W + iw;
            if (best < 0 || x.data[at] > x.data[best])
              best = at;
          }
        out.push_back(best);
      }
  return out;
}

inline KinkSignature kinkSignature(const interp::EvalTrace<double> &trace) {
  llvm::DenseMap<mlir::Operation *, const HostTensor<double> *> valueOf;
  for (auto &[op, t] : trace.values)
    valueOf.try_emplace(op, &t); // forward ops have one result
  KinkSignature sig;
  for (auto &[op, t] : trace.values) {
    if (mlir::isa<nn::ReluOp>(op)) {
      std::vector<uint8_t> pos(t.numel());
      for (int64_t i = 0; i < t.numel(); ++i)
        pos[i] = t.data[i] > 0;
      sig.relu.push_back(std::move(pos));
    } else if (auto pool = mlir::dyn_cast<nn::MaxPool2dOp>(op)) {
      const HostTensor<double> *in =
          valueOf.lookup(pool.getInput().getDefiningOp());
      sig.argmax.push_back(in ? windowArgmax(*in, pool)
                              : std::vector<int64_t>{-2});
    }
  }
  return sig;
}

//===----------------------------------------------------------------------===//
// The check.
//===----------------------------------------------------------------------===//

struct GradCheckOptions {
  uint64_t seed = 1;
  int64_t perParam = 0; // elements checked per parameter; 0: all
  double h = 1e-6;
  double floor = 1e-3;  // relative error = |a - b| / max(|a|, |b|, floor)
};

struct GradCheckReport {
  double maxRelError = 0;
  std::string worst;       // "name[i]: analytic a, numeric b"
  int64_t checked = 0;     // differences compared
  int64_t skipped = 0;     // differences that straddled a kink
  int64_t params = 0;      // parameters with a gradient
  std::vector<std::string> missing; // nn.params without a gradient
  std::string errors;      // evaluation failures
};

inline std::string describeReport(const GradCheckReport &r) {
  std::ostringstream os;
  os << r.params << " params, " << r.checked << " elements checked, "
     << r.skipped << " skipped at kinks; max relative error "
     << r.maxRelError << " (" << r.worst << ")";
  return os.str();
}

/// Evaluates the loss (first result) of `f`; records its kink signature.
inline bool evalLoss(mlir::func::FuncOp f, const TensorMap<double> &params,
                     const TensorMap<double> &inputs, double &loss,
                     KinkSignature *sig, std::string &errors) {
  DiagnosticCapture diags(f.getContext());
  interp::EvalTrace<double> trace;
  auto r = interp::evaluate<double>(f, params, inputs, {},
                                    sig ? &trace : nullptr);
  if (mlir::failed(r)) {
    errors += "forward evaluation failed:\n" + diags.text();
    return false;
  }
  loss = (*r)[0].data[0];
  if (sig)
    *sig = kinkSignature(trace);
  return true;
}

/// Indices of `n` elements to check: all, or `k` distinct ones drawn from a
/// stream keyed by `seed` and the parameter's name.
inline std::vector<int64_t> elementsToCheck(const std::string &name,
                                            int64_t n, int64_t k,
                                            uint64_t seed) {
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i)
    all[i] = i;
  if (k <= 0 || k >= n)
    return all;
  uint64_t state = cardinal::hashCombine(seed, cardinal::hashString(name));
  for (int64_t i = 0; i < k; ++i) { // partial Fisher-Yates
    int64_t j = i + int64_t(cardinal::splitmix64Next(state) % uint64_t(n - i));
    std::swap(all[i], all[j]);
  }
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

/// Compares every gradient of `g.trainFn()` with central differences of the
/// loss of `g.lossFn()` at random parameters and inputs (double).
inline GradCheckReport checkGradients(const TrainingGraphs &g,
                                      const GradCheckOptions &o = {}) {
  GradCheckReport rep;
  mlir::func::FuncOp lossFn = g.lossFn(), trainFn = g.trainFn();
  TensorMap<double> params = interp::randomParams<double>(lossFn, o.seed);
  TensorMap<double> inputs =
      interp::randomInputs<double>(lossFn, o.seed * 7919 + 13);

  DiagnosticCapture diags(trainFn.getContext());
  auto r = interp::evaluate<double>(trainFn, params, inputs);
  if (mlir::failed(r)) {
    rep.errors = "training graph evaluation failed:\n" + diags.text();
    return rep;
  }
  auto names = trainFn->getAttrOfType<mlir::ArrayAttr>("nn.grads");
  if (!names || names.size() > r->size()) {
    rep.errors = "the training function has no valid nn.grads attribute";
    return rep;
  }
  const size_t first = r->size() - names.size();

  // Every parameter the loss reads must get a gradient.
  for (const interp::ValueSpec &s : interp::paramSpecs(lossFn)) {
    if (s.isState)
      continue;
    bool found = false;
    for (mlir::Attribute a : names)
      found |= llvm::cast<mlir::StringAttr>(a).getValue() == s.name;
    if (!found)
      rep.missing.push_back(s.name);
  }

  double base = 0;
  KinkSignature baseSig;
  if (!evalLoss(lossFn, params, inputs, base, &baseSig, rep.errors))
    return rep;
  if (std::fabs(base - (*r)[0].data[0]) > 1e-12 * std::max(1.0, std::fabs(base))) {
    rep.errors = "the training graph's loss differs from the loss graph's";
    return rep;
  }

  for (size_t k = 0; k < names.size(); ++k) {
    std::string name = llvm::cast<mlir::StringAttr>(names[k]).str();
    const HostTensor<double> &grad = (*r)[first + k];
    auto it = params.find(name);
    if (it == params.end() || it->second.shape != grad.shape) {
      rep.errors += "gradient '" + name + "' has no parameter of its shape\n";
      continue;
    }
    ++rep.params;
    HostTensor<double> &p = it->second;
    for (int64_t i : elementsToCheck(name, p.numel(), o.perParam, o.seed)) {
      const double x = p.data[i];
      const double xp = x + o.h, xm = x - o.h;
      double lp = 0, lm = 0;
      KinkSignature sp, sm;
      p.data[i] = xp;
      bool ok = evalLoss(lossFn, params, inputs, lp, &sp, rep.errors);
      p.data[i] = xm;
      ok = ok && evalLoss(lossFn, params, inputs, lm, &sm, rep.errors);
      p.data[i] = x;
      if (!ok)
        return rep;
      if (sp != baseSig || sm != baseSig) {
        ++rep.skipped;
        continue;
      }
      const double numeric = (lp - lm) / (xp - xm);
      const double analytic = grad.data[i];
      const double rel = std::fabs(analytic - numeric) /
                         std::max({std::fabs(analytic), std::fabs(numeric),
                                   o.floor});
      ++rep.checked;
      if (!(rel <= rep.maxRelError)) { // NaN counts as worst
        rep.maxRelError = std::isnan(rel) ? INFINITY : rel;
        std::ostringstream os;
        os << name << "[" << i << "]: analytic " << analytic << ", numeric "
           << numeric;
        rep.worst = os.str();
      }
    }
  }
  return rep;
}

} // namespace cardinal::testing

#endif // CARDINAL_TESTS_AUTODIFF_GRADCHECK_H
