//===- DSL.h - the Cardinal model DSL -------------------------------------===//
//
// A model is C++ that calls this builder. The paper's aggregated block reads
// like Eq. 2:
//
//   Tensor y = g.aggregate(x, C, [&](Tensor in) {         // sum_{i<C} T_i(x)
//     Tensor t = g.relu(g.bn("bn1", g.conv("conv1", in, d, 1)));
//     t = g.relu(g.bn("bn2", g.conv("conv2", t, d, 3, stride)));
//     return g.conv("conv3", t, w, 1);
//   });
//
// Parameter names are scoped: inside `auto s = g.scope("stage2")` and
// `g.scope("block0")`, conv "conv1" owns `stage2.block0.conv1.weight`.
// This header is MLIR-free so that model files compile in about a second;
// the implementation (libCardinalFrontend) builds an `nn` dialect module.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_FRONTEND_DSL_H
#define CARDINAL_FRONTEND_DSL_H

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cardinal::dsl {

/// A shape/usage error in a model, with the scoped name of the offending op.
class ModelError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class Graph;

/// A value of the graph under construction (a handle; cheap to copy).
class Tensor {
public:
  Tensor() = default;
  std::vector<int64_t> shape() const;
  int64_t dim(int i) const { return shape().at(i); }
  int64_t channels() const { return dim(1); }
  bool valid() const { return impl_ != nullptr; }

private:
  friend class Graph;
  Tensor(Graph *g, void *impl) : graph_(g), impl_(impl) {}
  Graph *graph_ = nullptr;
  void *impl_ = nullptr;
};

/// Options every model builder receives; a model may ignore any of them.
struct ModelOptions {
  int64_t batch = 1;
  int64_t image = 0;   // input height = width; 0: the model's default
  int64_t channels = 3;
  int64_t classes = 0; // 0: the model's default
};

class Graph {
public:
  explicit Graph(const std::string &modelName);
  ~Graph();
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  /// RAII name scope: parameters created while it lives get `name.` prefixed.
  class Scope {
  public:
    Scope(Scope &&other) noexcept : graph_(other.graph_) { other.graph_ = nullptr; }
    ~Scope();
  private:
    friend class Graph;
    explicit Scope(Graph *g) : graph_(g) {}
    Graph *graph_;
  };
  [[nodiscard]] Scope scope(const std::string &name);
  /// The current scope path, e.g. "stage2.block0".
  std::string scopeName() const;

  Tensor input(const std::string &name, const std::vector<int64_t> &shape);
  /// Integer class labels, shape [batch].
  Tensor labels(const std::string &name, int64_t batch);

  /// Bias-free convolution; `pad` < 0 means "same" padding (kernel / 2).
  Tensor conv(const std::string &name, Tensor x, int64_t outChannels,
              int64_t kernel, int64_t stride = 1, int64_t groups = 1,
              int64_t pad = -1);
  /// Affine batch norm with running statistics (eval or training mode).
  Tensor bn(const std::string &name, Tensor x, bool training = false,
            double eps = 1e-5, double momentum = 0.1);
  Tensor relu(Tensor x);
  Tensor add(Tensor a, Tensor b);
  Tensor concat(const std::vector<Tensor> &xs, int64_t axis = 1);
  Tensor slice(Tensor x, int64_t axis, int64_t start, int64_t size);
  Tensor maxPool(Tensor x, int64_t kernel, int64_t stride, int64_t pad);
  Tensor globalAvgPool(Tensor x);
  /// Fully connected layer with bias on an NxI tensor.
  Tensor linear(const std::string &name, Tensor x, int64_t outFeatures);
  Tensor softmaxCrossEntropy(Tensor logits, Tensor labels);

  /// sum_{i<cardinality} T_i(x), T given once as `path`; each path gets its
  /// own copy of every parameter `path` creates.
  Tensor aggregate(Tensor x, int64_t cardinality,
                   const std::function<Tensor(Tensor)> &path);

  /// Marks graph results (logits, loss); call once with all of them.
  void output(const std::vector<Tensor> &results);

  /// The verified module in the nn dialect's textual form.
  std::string toMLIR() const;

  struct Impl;

private:
  friend class Tensor;
  std::unique_ptr<Impl> impl_;
};

} // namespace cardinal::dsl

#endif // CARDINAL_FRONTEND_DSL_H

/// A model file defines its graph with this macro; `cardinal build` links
/// the file with a generator main that calls it and prints the nn module:
///
///   CARDINAL_MODEL(g, options) {
///     Tensor x = g.input("image", {options.batch, 3, 32, 32});
///     ...
///     g.output({logits});
///   }
#define CARDINAL_MODEL(graph, options)                                         \
  void cardinal_model_entry(::cardinal::dsl::Graph &graph,                     \
                            const ::cardinal::dsl::ModelOptions &options)

void cardinal_model_entry(::cardinal::dsl::Graph &graph,
                          const ::cardinal::dsl::ModelOptions &options);
