//===- DSL.cpp - builds an nn module from DSL calls ------------------------===//
//
// Each DSL call checks its operands with the same ShapeRules the verifiers
// use and throws ModelError naming the scoped op, so a bad model fails at the
// line that built it, not later in a pass. Every op gets a NameLoc with its
// scoped name; diagnostics on the emitted module then name the layer.
//
//===----------------------------------------------------------------------===//
#include "frontend/DSL.h"

#include "ir/NNDialect.h"
#include "ir/ShapeRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using cardinal::nn::Shape;

namespace cardinal::dsl {

struct Graph::Impl {
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  OpBuilder builder{&context};
  std::string modelName;
  std::vector<std::string> scopes;
  bool hasOutput = false;

  std::string qualified(const std::string &leaf) const {
    std::string name;
    for (const auto &s : scopes)
      name += s + ".";
    return name + leaf;
  }
  Location loc(const std::string &leaf) {
    return NameLoc::get(builder.getStringAttr(qualified(leaf)));
  }
  [[noreturn]] void fail(const std::string &leaf, const std::string &msg) const {
    throw ModelError("model '" + modelName + "': " + qualified(leaf) + ": " +
                     msg);
  }
  template <typename T>
  Shape check(const std::string &leaf, const std::optional<T> &shape,
              const std::string &error) const {
    if (!shape)
      fail(leaf, error);
    return *shape;
  }
  RankedTensorType f32(const Shape &shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  Value param(const std::string &leaf, const Shape &shape,
              const std::string &init) {
    return builder.create<nn::ParamOp>(loc(leaf), f32(shape),
                                       qualified(leaf), init);
  }
  Value state(const std::string &leaf, const Shape &shape,
              const std::string &init) {
    return builder.create<nn::StateOp>(loc(leaf), f32(shape), qualified(leaf),
                                       init);
  }
};

static Value value(void *impl) { return Value::getFromOpaquePointer(impl); }
static Shape shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return Shape(t.getShape().begin(), t.getShape().end());
}

std::vector<int64_t> Tensor::shape() const {
  if (!impl_)
    throw ModelError("use of an empty Tensor handle");
  return shapeOf(value(impl_));
}

Graph::Graph(const std::string &modelName) : impl_(std::make_unique<Impl>()) {
  Impl &m = *impl_;
  m.context.loadDialect<nn::NNDialect, func::FuncDialect>();
  m.modelName = modelName;
  m.module = ModuleOp::create(UnknownLoc::get(&m.context));
  m.builder.setInsertionPointToEnd(m.module->getBody());
  m.func = m.builder.create<func::FuncOp>(
      NameLoc::get(m.builder.getStringAttr(modelName)), modelName,
      m.builder.getFunctionType({}, {}));
  m.builder.setInsertionPointToStart(m.func.addEntryBlock());
}

Graph::~Graph() = default;

Graph::Scope::~Scope() {
  if (graph_)
    graph_->impl_->scopes.pop_back();
}

Graph::Scope Graph::scope(const std::string &name) {
  if (name.empty() || name.find('.') != std::string::npos)
    impl_->fail(name, "scope names must be non-empty and contain no '.'");
  impl_->scopes.push_back(name);
  return Scope(this);
}

std::string Graph::scopeName() const {
  std::string q = impl_->qualified("");
  return q.empty() ? q : q.substr(0, q.size() - 1);
}

#define CARDINAL_TENSOR(v) Tensor(this, (v).getAsOpaquePointer())

Tensor Graph::input(const std::string &name, const std::vector<int64_t> &shape) {
  for (int64_t d : shape)
    if (d <= 0)
      impl_->fail(name, "input dimensions must be positive, got " +
                            nn::formatShape(shape));
  Value v = impl_->builder.create<nn::InputOp>(impl_->loc(name),
                                               impl_->f32(shape), name);
  return CARDINAL_TENSOR(v);
}

Tensor Graph::labels(const std::string &name, int64_t batch) {
  if (batch <= 0)
    impl_->fail(name, "label batch must be positive");
  auto type = RankedTensorType::get({batch}, impl_->builder.getI32Type());
  Value v = impl_->builder.create<nn::InputOp>(impl_->loc(name), type, name);
  return CARDINAL_TENSOR(v);
}

Tensor Graph::conv(const std::string &name, Tensor x, int64_t outChannels,
                   int64_t kernel, int64_t stride, int64_t groups,
                   int64_t pad) {
  Impl &m = *impl_;
  Value in = value(x.impl_);
  Shape inShape = shapeOf(in);
  if (outChannels <= 0 || kernel <= 0)
    m.fail(name, "output channels and kernel size must be positive");
  if (groups <= 0 || inShape.size() != 4 || inShape[1] % groups != 0)
    m.fail(name, "input channels (" +
                     std::to_string(inShape.size() == 4 ? inShape[1] : -1) +
                     ") must be divisible by groups (" +
                     std::to_string(groups) + ")");
  if (pad < 0)
    pad = kernel / 2;
  Shape wShape{outChannels, inShape[1] / groups, kernel, kernel};
  nn::Conv2dAttrs attrs;
  attrs.strides = {stride, stride};
  attrs.padding = {pad, pad};
  attrs.groups = groups;
  std::string error;
  m.check(name, nn::conv2dShape(inShape, wShape, nullptr, attrs, error), error);
  Value w = m.param(name + ".weight", wShape, "he_normal");
  Value y = m.builder.create<nn::Conv2dOp>(m.loc(name), in, w, Value(), stride,
                                           pad, groups);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::bn(const std::string &name, Tensor x, bool training, double eps,
                 double momentum) {
  Impl &m = *impl_;
  Value in = value(x.impl_);
  Shape inShape = shapeOf(in);
  if (inShape.size() < 2)
    m.fail(name, "batch norm needs a channel dimension, got shape " +
                     nn::formatShape(inShape));
  Shape c{inShape[1]};
  Value scale = m.param(name + ".scale", c, "ones");
  Value shift = m.param(name + ".shift", c, "zeros");
  Value mean = m.state(name + ".running_mean", c, "zeros");
  Value var = m.state(name + ".running_var", c, "ones");
  auto op = m.builder.create<nn::BatchNormOp>(
      m.loc(name), in.getType(), in, scale, shift, mean, var,
      m.builder.getF64FloatAttr(eps), m.builder.getF64FloatAttr(momentum),
      training ? m.builder.getUnitAttr() : UnitAttr());
  return CARDINAL_TENSOR(op.getResult());
}

Tensor Graph::relu(Tensor x) {
  Value in = value(x.impl_);
  Value y = impl_->builder.create<nn::ReluOp>(impl_->loc("relu"), in);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::add(Tensor a, Tensor b) {
  Impl &m = *impl_;
  Value l = value(a.impl_), r = value(b.impl_);
  std::string error;
  m.check("add", nn::sameShape(shapeOf(l), shapeOf(r), "lhs", "rhs", error),
          error);
  Value y = m.builder.create<nn::AddOp>(m.loc("add"), l, r);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::concat(const std::vector<Tensor> &xs, int64_t axis) {
  Impl &m = *impl_;
  SmallVector<Value> vs;
  std::vector<Shape> shapes;
  for (const Tensor &t : xs) {
    vs.push_back(value(t.impl_));
    shapes.push_back(shapeOf(vs.back()));
  }
  std::string error;
  m.check("concat", nn::concatShape(shapes, axis, error), error);
  Value y = m.builder.create<nn::ConcatOp>(m.loc("concat"), vs, axis);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::slice(Tensor x, int64_t axis, int64_t start, int64_t size) {
  Impl &m = *impl_;
  Value in = value(x.impl_);
  std::string error;
  m.check("slice", nn::sliceShape(shapeOf(in), axis, start, size, error),
          error);
  Value y = m.builder.create<nn::SliceOp>(m.loc("slice"), in, axis, start, size);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::maxPool(Tensor x, int64_t kernel, int64_t stride, int64_t pad) {
  Impl &m = *impl_;
  Value in = value(x.impl_);
  std::string error;
  m.check("maxpool",
          nn::maxPool2dShape(shapeOf(in), {kernel, kernel}, {stride, stride},
                             {pad, pad}, error),
          error);
  Value y = m.builder.create<nn::MaxPool2dOp>(m.loc("maxpool"), in, kernel,
                                              stride, pad);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::globalAvgPool(Tensor x) {
  Impl &m = *impl_;
  Value in = value(x.impl_);
  std::string error;
  m.check("avgpool", nn::globalAvgPoolShape(shapeOf(in), error), error);
  Value y = m.builder.create<nn::GlobalAvgPoolOp>(m.loc("avgpool"), in);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::linear(const std::string &name, Tensor x, int64_t outFeatures) {
  Impl &m = *impl_;
  Value in = value(x.impl_);
  Shape inShape = shapeOf(in);
  if (outFeatures <= 0 || inShape.size() != 2)
    m.fail(name, "linear needs an NxI input and positive output features, "
                 "got input " + nn::formatShape(inShape));
  Shape wShape{outFeatures, inShape[1]}, bShape{outFeatures};
  std::string error;
  m.check(name, nn::linearShape(inShape, wShape, &bShape, error), error);
  Value w = m.param(name + ".weight", wShape, "linear_uniform");
  Value b = m.param(name + ".bias", bShape, "linear_uniform");
  Value y = m.builder.create<nn::LinearOp>(m.loc(name), in, w, b);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::softmaxCrossEntropy(Tensor logits, Tensor labels) {
  Impl &m = *impl_;
  Value l = value(logits.impl_), t = value(labels.impl_);
  std::string error;
  m.check("loss",
          nn::softmaxCrossEntropyShape(shapeOf(l), shapeOf(t), error), error);
  Value y = m.builder.create<nn::SoftmaxCrossEntropyOp>(m.loc("loss"), l, t);
  return CARDINAL_TENSOR(y);
}

Tensor Graph::aggregate(Tensor x, int64_t cardinality,
                        const std::function<Tensor(Tensor)> &path) {
  Impl &m = *impl_;
  if (cardinality < 1)
    m.fail("aggregate", "cardinality must be >= 1, got " +
                            std::to_string(cardinality));
  Value in = value(x.impl_);
  // The result type is known only once the template is built; start from
  // the input's type and fix it up after the body yields.
  auto op = m.builder.create<nn::AggregateOp>(
      m.loc("aggregate"), in.getType(), in,
      m.builder.getI64IntegerAttr(cardinality));
  Block *body = new Block();
  op.getBody().push_back(body);
  Value arg = body->addArgument(in.getType(), m.loc("aggregate"));

  OpBuilder::InsertionGuard guard(m.builder);
  m.builder.setInsertionPointToStart(body);
  Tensor result = path(CARDINAL_TENSOR(arg));
  if (!result.valid())
    m.fail("aggregate", "the path template returned an empty Tensor");
  Value y = value(result.impl_);
  if (y.getParentBlock() != body && y != arg)
    m.fail("aggregate", "the path template must return a value it computed "
                        "from its own input (paths are isolated)");
  m.builder.create<nn::YieldOp>(m.loc("aggregate"), y);
  op.getResult().setType(cast<RankedTensorType>(y.getType()));
  return CARDINAL_TENSOR(op.getResult());
}

void Graph::output(const std::vector<Tensor> &results) {
  Impl &m = *impl_;
  if (m.hasOutput)
    m.fail("output", "output() may be called only once");
  if (results.empty())
    m.fail("output", "a model needs at least one result");
  SmallVector<Value> vs;
  SmallVector<Type> types;
  for (const Tensor &t : results) {
    vs.push_back(value(t.impl_));
    types.push_back(vs.back().getType());
  }
  OpBuilder::InsertionGuard guard(m.builder);
  m.builder.setInsertionPointToEnd(&m.func.getBody().front());
  m.builder.create<func::ReturnOp>(m.loc("output"), vs);
  m.func.setFunctionType(m.builder.getFunctionType({}, types));
  m.hasOutput = true;
}

std::string Graph::toMLIR() const {
  Impl &m = *impl_;
  if (!m.hasOutput)
    throw ModelError("model '" + m.modelName +
                     "': no output() was declared");
  std::string diagnostics;
  {
    llvm::raw_string_ostream os(diagnostics);
    ScopedDiagnosticHandler handler(&m.context, [&](Diagnostic &d) {
      os << d.getLocation() << ": " << d << "\n";
      return success();
    });
    if (failed(verify(*m.module)))
      throw ModelError("model '" + m.modelName +
                       "' does not verify:\n" + diagnostics);
  }
  // Locations carry each op's scoped name (loc("stage2.block0.conv1")), so
  // tools that parse this text can name layers without parameters.
  std::string text;
  llvm::raw_string_ostream os(text);
  m.module->print(os, OpPrintingFlags().enableDebugInfo(/*enable=*/true,
                                                        /*prettyForm=*/false));
  return text;
}

} // namespace cardinal::dsl
