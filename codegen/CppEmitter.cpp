//===- CppEmitter.cpp - print kernel plans as a C++ trainer ----------------===//
//
// Every call becomes one line of shape-specialized C++ (shapes are brace-
// initialized constants), arena buffers are `arena + offset` pointers and
// persistent tensors are members. The runtime headers are known here only
// as text, as DESIGN §1 requires.
//
//===----------------------------------------------------------------------===//
#include "codegen/CppEmitter.h"
#include "codegen/FoldCache.h"
#include "codegen/EmitterUtil.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace cardinal::codegen {

namespace {

class FunctionEmitter {
public:
  FunctionEmitter(std::ostringstream &os, const std::string &arena)
      : os(os), arena(arena) {}

  /// Set for predict(): conv2d_bn_act then runs on cached folded weights.
  FoldCache *folds = nullptr;

  std::string ptr(const Buffer &b, const char *type = "float") {
    switch (b.kind) {
    case Buffer::Kind::Arena:
      return fmt::format("reinterpret_cast<{} *>({} + {})", type, arena,
                         b.offset);
    case Buffer::Kind::Persistent:
      return member(b.name) + ".data()";
    case Buffer::Kind::Images:
      return "images";
    case Buffer::Kind::Labels:
      return "labels";
    }
    return "nullptr";
  }

  void emit(const KernelCall &c, int index) {
    os << fmt::format("    // {}: {}\n", index, c.origin);
    const auto &in = c.inputs;
    const auto &out = c.outputs;
    const std::string &k = c.kernel;
    if (k == "conv2d_bn_act" && folds) {
      std::vector<std::string> ptrs;
      for (const Buffer &b : in)
        ptrs.push_back(ptr(b));
      ptrs.push_back(ptr(out[0]));
      os << folds->call(c, convShape(in[0].shape, in[1].shape, out[0].shape, c),
                        ptrs);
    } else if (k == "conv2d_forward") {
      os << fmt::format("    conv2dForward<float>({}, {}, {}, {}, {});\n",
                        convShape(in[0].shape, in[1].shape, out[0].shape, c),
                        ptr(in[0]), ptr(in[1]),
                        in.size() > 2 ? ptr(in[2]) : "nullptr", ptr(out[0]));
    } else if (k == "conv2d_bn_act") {
      os << fmt::format(
          "    conv2dBnActForward<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {});\n",
          convShape(in[0].shape, in[1].shape, out[0].shape, c), ptr(in[0]),
          ptr(in[1]), ptr(in[2]), ptr(in[3]), ptr(in[4]), ptr(in[5]),
          floatLit(c.reals.at("eps")),
          c.ints.at("residual") ? ptr(in[6]) : "nullptr",
          c.ints.at("relu") ? "true" : "false", ptr(out[0]));
    } else if (k == "conv2d_backward_data") {
      os << fmt::format("    conv2dBackwardData<float>({}, {}, {}, {});\n",
                        convShape(out[0].shape, in[1].shape, in[0].shape, c),
                        ptr(in[0]), ptr(in[1]), ptr(out[0]));
    } else if (k == "conv2d_backward_weight") {
      os << fmt::format("    conv2dBackwardWeight<float>({}, {}, {}, {}, nullptr);\n",
                        convShape(in[0].shape, out[0].shape, in[1].shape, c),
                        ptr(in[0]), ptr(in[1]), ptr(out[0]));
    } else if (k == "bias_grad") {
      const auto &s = in[0].shape;
      int64_t hw = s.size() > 2 ? s[2] * s[3] : 1;
      os << fmt::format("    biasGrad({}, {}, {}, {}, {});\n", s[0], s[1], hw,
                        ptr(in[0]), ptr(out[0]));
    } else if (k == "batch_norm_train") {
      const std::string &bn = c.names.at("bn");
      os << fmt::format(
          "    batchNormForwardTrain<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {});\n",
          actShape(in[0].shape), ptr(in[0]), ptr(in[1]), ptr(in[2]),
          floatLit(c.reals.at("eps")), floatLit(c.reals.at("momentum")),
          ptr(out[0]), member(bn + ".saved_mean") + ".data()",
          member(bn + ".saved_invstd") + ".data()", ptr(in[3]), ptr(in[4]));
    } else if (k == "batch_norm_eval") {
      os << fmt::format(
          "    batchNormForwardEval<float>({}, {}, {}, {}, {}, {}, {}, {});\n",
          actShape(in[0].shape), ptr(in[0]), ptr(in[1]), ptr(in[2]), ptr(in[3]),
          ptr(in[4]), floatLit(c.reals.at("eps")), ptr(out[0]));
    } else if (k == "batch_norm_backward") {
      const std::string &bn = c.names.at("bn");
      os << fmt::format(
          "    batchNormBackward<float>({}, {}, {}, {}, {}, {}, {}, {}, {});\n",
          actShape(in[1].shape), ptr(in[1]), ptr(in[0]), ptr(in[2]),
          member(bn + ".saved_mean") + ".data()",
          member(bn + ".saved_invstd") + ".data()", ptr(out[0]), ptr(out[1]),
          ptr(out[2]));
    } else if (k == "bn_train_relu") {
      const std::string &bn = c.names.at("bn");
      os << fmt::format(
          "    bnTrainReluForward<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {});\n",
          actShape(in[0].shape), ptr(in[0]), ptr(in[1]), ptr(in[2]),
          floatLit(c.reals.at("eps")), floatLit(c.reals.at("momentum")),
          ptr(out[0]), member(bn + ".saved_mean") + ".data()",
          member(bn + ".saved_invstd") + ".data()", ptr(in[3]), ptr(in[4]));
    } else if (k == "bn_relu_backward") {
      const std::string &bn = c.names.at("bn");
      os << fmt::format(
          "    bnReluBackward<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
          actShape(in[2].shape), ptr(in[2]), ptr(in[1]), ptr(in[0]), ptr(in[3]),
          member(bn + ".saved_mean") + ".data()",
          member(bn + ".saved_invstd") + ".data()", ptr(out[0]), ptr(out[1]),
          ptr(out[2]));
    } else if (k == "conv2d_stats") {
      os << fmt::format(
          "    conv2dStatsForward<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, "
          "{});\n",
          convShape(in[0].shape, in[1].shape, out[0].shape, c), ptr(in[0]),
          ptr(in[1]), floatLit(c.reals.at("eps")),
          floatLit(c.reals.at("momentum")), ptr(out[0]), ptr(out[1]),
          ptr(out[2]), ptr(in[4]), ptr(in[5]));
    } else if (k == "bn_relu_conv2d_stats") {
      os << fmt::format(
          "    bnReluConv2dStatsForward<float>({}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {}, {}, {}, {}, {});\n",
          convShape(in[0].shape, in[5].shape, out[0].shape, c), ptr(in[0]),
          ptr(in[1]), ptr(in[2]), ptr(in[3]), ptr(in[4]), ptr(in[5]),
          floatLit(c.reals.at("eps")), floatLit(c.reals.at("momentum")),
          ptr(out[0]), ptr(out[1]), ptr(out[2]), ptr(in[8]), ptr(in[9]));
    } else if (k == "bn_relu_conv2d") {
      os << fmt::format(
          "    bnReluConv2dForward<float>({}, {}, {}, {}, {}, {}, {}, {});\n",
          convShape(in[0].shape, in[5].shape, out[0].shape, c), ptr(in[0]),
          ptr(in[1]), ptr(in[2]), ptr(in[3]), ptr(in[4]), ptr(in[5]),
          ptr(out[0]));
    } else if (k == "bn_relu_conv2d_backward_weight") {
      os << fmt::format(
          "    bnReluConv2dBackwardWeight<float>({}, {}, {}, {}, {}, {}, {}, "
          "{});\n",
          convShape(in[0].shape, out[0].shape, in[5].shape, c), ptr(in[0]),
          ptr(in[1]), ptr(in[2]), ptr(in[3]), ptr(in[4]), ptr(in[5]),
          ptr(out[0]));
    } else if (k == "bn_add_relu") {
      os << fmt::format(
          "    bnAddReluForward<float>({}, {}, {}, {}, {}, {}, {}, {});\n",
          actShape(in[0].shape), ptr(in[0]), ptr(in[1]), ptr(in[2]), ptr(in[3]),
          ptr(in[4]), ptr(in[5]), ptr(out[0]));
    } else if (k == "bn_relu_apply_backward") {
      os << fmt::format(
          "    bnReluApplyBackward<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, "
          "{});\n",
          actShape(in[1].shape), ptr(in[1]), ptr(in[0]), ptr(in[2]), ptr(in[3]),
          ptr(in[4]), ptr(in[5]), ptr(out[0]), ptr(out[1]), ptr(out[2]));
    } else if (k == "conv2d_backward_data_bn_sums") {
      os << fmt::format(
          "    conv2dBackwardDataBnSums<float>({}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {}, {});\n",
          convShape(out[0].shape, in[1].shape, in[0].shape, c), ptr(in[0]),
          ptr(in[1]), ptr(in[2]), ptr(in[3]), ptr(in[4]), ptr(in[5]),
          ptr(in[6]), ptr(out[0]), ptr(out[1]), ptr(out[2]));
    } else if (k == "bn_relu_apply_backward_input") {
      os << fmt::format(
          "    bnReluApplyBackwardInput<float>({}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {});\n",
          actShape(in[1].shape), ptr(in[1]), ptr(in[0]), ptr(in[2]), ptr(in[3]),
          ptr(in[4]), ptr(in[5]), ptr(in[6]), ptr(in[7]), ptr(out[0]));
    } else if (k == "bn_add_relu_backward") {
      os << fmt::format(
          "    bnAddReluBackward<float>({}, {}, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {});\n",
          actShape(in[2].shape), ptr(in[2]), ptr(in[1]), ptr(in[0]), ptr(in[3]),
          ptr(in[4]), ptr(in[5]), ptr(out[0]), ptr(out[1]), ptr(out[2]),
          ptr(out[3]));
    } else if (k == "relu_forward") {
      os << fmt::format("    reluForward<float>({}, {}, {});\n",
                        in[0].elements(), ptr(in[0]), ptr(out[0]));
    } else if (k == "relu_backward") {
      os << fmt::format("    reluBackward<float>({}, {}, {}, {});\n",
                        in[0].elements(), ptr(in[1]), ptr(in[0]), ptr(out[0]));
    } else if (k == "add") {
      os << fmt::format("    add<float>({}, {}, {}, {});\n", in[0].elements(),
                        ptr(in[0]), ptr(in[1]), ptr(out[0]));
    } else if (k == "concat") {
      if (c.ints.at("axis") != 1)
        throw std::runtime_error("C++ emitter: concat only along channels");
      const auto &s = out[0].shape;
      int64_t hw = s.size() > 2 ? s[2] * s[3] : 1;
      std::string ptrs, chans;
      for (size_t i = 0; i < in.size(); ++i) {
        ptrs += (i ? ", " : "") + ptr(in[i]);
        chans += (i ? ", " : "") + std::to_string(in[i].shape[1]);
      }
      os << fmt::format("    {{\n      const float *parts[] = {{{}}};\n"
                        "      const int64_t channels[] = {{{}}};\n"
                        "      concatChannelsForward<float>({}, {}, {}, parts, "
                        "channels, {});\n    }}\n",
                        ptrs, chans, s[0], hw, in.size(), ptr(out[0]));
    } else if (k == "slice" || k == "slice_backward") {
      if (c.ints.at("axis") != 1)
        throw std::runtime_error("C++ emitter: slice only along channels");
      const auto &whole = k == "slice" ? in[0].shape : out[0].shape;
      const auto &part = k == "slice" ? out[0].shape : in[0].shape;
      int64_t hw = whole.size() > 2 ? whole[2] * whole[3] : 1;
      os << fmt::format("    slice{}<float>({}, {}, {}, {}, {}, {}, {});\n",
                        k == "slice" ? "ChannelsForward" : "ChannelsBackward",
                        whole[0], whole[1], hw, c.ints.at("start"), part[1],
                        ptr(in[0]), ptr(out[0]));
    } else if (k == "max_pool_forward" || k == "max_pool_backward") {
      const auto &x = k == "max_pool_forward" ? in[0].shape : in[1].shape;
      std::string shape = fmt::format(
          "PoolShape::make({}, {}, {}, {}, {}, {}, {})", x[0], x[1], x[2], x[3],
          c.ints.at("kernel"), c.ints.at("stride"), c.ints.at("pad"));
      if (k == "max_pool_forward")
        os << fmt::format("    maxPool2dForward<float>({}, {}, {}, nullptr);\n",
                          shape, ptr(in[0]), ptr(out[0]));
      else
        os << fmt::format(
            "    maxPool2dBackwardRecompute<float>({}, {}, {}, {});\n", shape,
            ptr(in[1]), ptr(in[0]), ptr(out[0]));
    } else if (k == "global_avg_pool_forward") {
      os << fmt::format("    globalAvgPoolForward<float>({}, {}, {});\n",
                        actShape(in[0].shape), ptr(in[0]), ptr(out[0]));
    } else if (k == "global_avg_pool_backward") {
      os << fmt::format("    globalAvgPoolBackward<float>({}, {}, {});\n",
                        actShape(out[0].shape), ptr(in[0]), ptr(out[0]));
    } else if (k == "linear_forward") {
      os << fmt::format("    linearForward<float>(LinearShape{{{}, {}, {}}}, {}, "
                        "{}, {}, {});\n",
                        in[0].shape[0], in[0].shape[1], in[1].shape[0],
                        ptr(in[0]), ptr(in[1]),
                        in.size() > 2 ? ptr(in[2]) : "nullptr", ptr(out[0]));
    } else if (k == "linear_backward_data") {
      os << fmt::format("    linearBackward<float>(LinearShape{{{}, {}, {}}}, "
                        "nullptr, {}, {}, {}, nullptr, nullptr);\n",
                        in[0].shape[0], out[0].shape[1], in[0].shape[1],
                        ptr(in[1]), ptr(in[0]), ptr(out[0]));
    } else if (k == "linear_backward_weight") {
      os << fmt::format("    linearBackward<float>(LinearShape{{{}, {}, {}}}, "
                        "{}, nullptr, {}, nullptr, {}, nullptr);\n",
                        in[0].shape[0], in[0].shape[1], in[1].shape[1],
                        ptr(in[0]), ptr(in[1]), ptr(out[0]));
    } else if (k == "softmax_cross_entropy") {
      const auto &s = in[0].shape;
      os << fmt::format("    *{} = softmaxCrossEntropyForward<float>({}, {}, "
                        "{}, {}, nullptr);\n",
                        ptr(out[0]), s[0], s[1], ptr(in[0]), ptr(in[1], "int32_t"));
    } else if (k == "softmax_cross_entropy_backward") {
      const auto &s = in[0].shape;
      os << fmt::format("    softmaxCrossEntropyBackward<float>({}, {}, {}, {}, "
                        "1.0f, {});\n",
                        s[0], s[1], ptr(in[0]), ptr(in[1], "int32_t"),
                        ptr(out[0]));
    } else if (k == "sgd_update") {
      os << fmt::format("    sgdUpdate<float>({}, {}, {}, {}, hyper.lr, "
                        "hyper.momentum, {});\n",
                        in[0].elements(), ptr(in[0]), ptr(in[1]),
                        member(c.names.at("velocity")) + ".data()",
                        c.reals.at("weight_decay_scale") > 0 ? "hyper.weightDecay"
                                                              : "0.0f");
    } else {
      throw std::runtime_error("C++ emitter: no code for kernel '" + k + "'");
    }
  }

private:
  std::ostringstream &os;
  std::string arena;
};

} // namespace

std::string emitCpuTrainer(const KernelPlan &train, const KernelPlan &predict,
                           const TrainerSpec &spec) {
  if (train.imageShape.size() != 4 || train.results.size() < 2)
    throw std::runtime_error("C++ emitter: the training plan needs an NCHW "
                             "image input and (loss, logits) results");
  if (predict.results.empty())
    throw std::runtime_error("C++ emitter: the inference plan returns nothing");
  const auto &img = train.imageShape;
  int64_t classes = train.results[1].shape[1];

  // Persistent tensors of both plans, each once, in first-use order.
  std::vector<PersistentTensor> tensors;
  std::set<std::string> seen;
  for (const KernelPlan *p : {&train, &predict})
    for (const PersistentTensor &t : p->tensors)
      if (seen.insert(t.name).second)
        tensors.push_back(t);

  std::ostringstream os;
  os << "// Generated by cardinal from model '" << spec.model
     << "'. Do not edit: rebuild with `cardinal build`.\n"
     << "// Training step: " << train.calls.size() << " kernel calls, arena "
     << train.arenaBytes << " bytes; inference: " << predict.calls.size()
     << " calls, arena " << predict.arenaBytes << " bytes.\n"
     << "#include \"runtime/kernels/Kernels.h\"\n"
     << "#include \"runtime/trainer/CompiledModel.h\"\n"
     << "#include \"runtime/trainer/Export.h\"\n\n"
     << "#include <cstdint>\n#include <cstring>\n#include <memory>\n"
     << "#include <vector>\n\n"
     << "namespace {\n\nusing namespace cardinal::rt;\n\n"
     << "// Sum of dy over every axis but the channel one.\n"
     << "void biasGrad(int64_t n, int64_t c, int64_t hw, const float *dy, "
        "float *db) {\n"
     << "  for (int64_t j = 0; j < c; ++j) {\n    double s = 0;\n"
     << "    for (int64_t i = 0; i < n; ++i)\n"
     << "      for (int64_t k = 0; k < hw; ++k)\n"
     << "        s += dy[(i * c + j) * hw + k];\n"
     << "    db[j] = static_cast<float>(s);\n  }\n}\n\n"
     << trainCallTable(train)
     << "class GeneratedModel final : public CompiledModel {\npublic:\n"
     << "  GeneratedModel()\n";
  bool first = true;
  for (const PersistentTensor &t : tensors) {
    int64_t n = 1;
    for (int64_t d : t.shape)
      n *= d;
    os << (first ? "      : " : "        ") << member(t.name) << "(" << n
       << "),\n";
    first = false;
  }
  os << (first ? "      : " : "        ") << "trainArena_("
     << (train.arenaBytes + 63) / 64 * 64 << "), predictArena_("
     << (predict.arenaBytes + 63) / 64 * 64 << ") {\n";
  for (const PersistentTensor &t : tensors) {
    if (t.kind == "scratch")
      continue; // recomputed every step; not part of the model's state
    std::string kind = t.kind == "param"   ? "Param"
                       : t.kind == "state" ? "State"
                                           : "Velocity";
    os << fmt::format("    tensors_.push_back({{\"{}\", NamedTensor::Kind::{}, "
                      "\"{}\", {}, {}.data()}});\n",
                      t.name, kind, t.init, shapeList(t.shape), member(t.name));
  }
  os << "  }\n\n"
     << shapeAccessors(spec.model, img, classes, train.arenaBytes)
     << "  // Callers may write through tensors(): cached folds go stale.\n"
     << "  std::vector<NamedTensor> &tensors() override {\n    "
     << FoldCache::invalidate() << "\n    return tensors_;\n  }\n"
     << "  void tensorsWritten() override { " << FoldCache::invalidate()
     << " }\n"
     << fmt::format("  StepHyper defaultHyper() const override {{ return "
                    "{{{}, {}, {}}}; }}\n\n",
                    floatLit(spec.lr), floatLit(spec.momentum),
                    floatLit(spec.weightDecay))
     << "  bool startProfile() override {\n"
     << "    timer_ = std::make_unique<WallStepTimer>(trainCalls());\n"
     << "    return true;\n  }\n\n";

  os << "  StepStats trainStep(const float *images, const int32_t *labels,\n"
     << "                      const StepHyper &hyper) override {\n"
     << "    " << FoldCache::invalidate() << " // the weights change\n"
     << "    char *arena = trainArena_.data();\n";
  FunctionEmitter trainEmitter(os, "arena");
  const std::multimap<int64_t, int64_t> readyAfter =
      gradientsReadyAfter(train);
  std::vector<const KernelCall *> updates; // gradient k's sgd_update
  for (const KernelCall &c : train.calls)
    if (c.kernel == "sgd_update")
      updates.push_back(&c);
  auto emitReady = [&](int64_t call) {
    auto [lo, hi] = readyAfter.equal_range(call);
    for (auto it = lo; it != hi; ++it) {
      const KernelCall &c = *updates[it->second];
      os << fmt::format("    if (gradientReadyHook_) {{\n      NamedTensor g{{\"{}\", "
                        "NamedTensor::Kind::Param, \"\", {}, {}}};\n"
                        "      gradientReadyHook_({}, g);\n    }}\n",
                        c.inputs[0].name, shapeList(c.inputs[0].shape),
                        trainEmitter.ptr(c.inputs[1]), it->second);
    }
  };
  bool hooked = false;
  for (size_t i = 0; i < train.calls.size(); ++i) {
    os << "    mark(" << i << ");\n";
    if (!hooked && train.calls[i].kernel == "sgd_update") {
      // Backward is complete: data parallelism reduces the gradients here.
      os << "    if (gradientHook_) {\n      std::vector<NamedTensor> grads = "
            "gradients();\n      gradientHook_(grads);\n    }\n";
      hooked = true;
    }
    trainEmitter.emit(train.calls[i], i);
    emitReady(i);
  }
  const Buffer &loss = train.results[0], &logits = train.results[1];
  os << "    if (timer_)\n      timer_->endStep();\n"
     << "    StepStats stats;\n"
     << "    stats.loss = *" << trainEmitter.ptr(loss) << ";\n"
     << fmt::format("    TopKCorrect hits = countTopKCorrect<float>({}, {}, {}, "
                    "labels);\n",
                    logits.shape[0], logits.shape[1], trainEmitter.ptr(logits))
     << "    stats.correct1 = hits.top1;\n    stats.correct5 = hits.top5;\n"
     << "    return stats;\n  }\n\n";

  os << "  std::vector<NamedTensor> gradients() override {\n"
     << "    char *arena = trainArena_.data();\n"
     << "    return {\n";
  for (const KernelCall &c : train.calls)
    if (c.kernel == "sgd_update")
      os << fmt::format("        {{\"{}\", NamedTensor::Kind::Param, \"\", {}, "
                        "{}}},\n",
                        c.inputs[0].name, shapeList(c.inputs[0].shape),
                        trainEmitter.ptr(c.inputs[1]));
  os << "    };\n  }\n\n";

  os << "  std::vector<FormEntry> formMap(char form) const override {\n";
  for (int f = 0; f < 3; ++f)
    if (spec.formMaps[f])
      os << fmt::format("    if (form == '{}')\n      return parseFormMap(\n{}"
                        "      );\n",
                        "abc"[f], formMapLiteral(*spec.formMaps[f]));
  os << "    return {};\n  }\n\n";

  os << "  void predict(const float *images, float *logits) override {\n"
     << "    char *arena = predictArena_.data();\n";
  FunctionEmitter predictEmitter(os, "arena");
  FoldCache folds;
  predictEmitter.folds = &folds;
  os << FoldCache::ensureFolded();
  for (size_t i = 0; i < predict.calls.size(); ++i)
    predictEmitter.emit(predict.calls[i], i);
  const Buffer &out = predict.results[0];
  os << fmt::format("    std::memcpy(logits, {}, sizeof(float) * {});\n",
                    predictEmitter.ptr(out), out.elements())
     << "  }\n\nprivate:\n";
  for (const PersistentTensor &t : tensors)
    os << "  std::vector<float> " << member(t.name) << "; // " << t.kind
       << " " << t.name << "\n";
  os << folds.members()
     << "  std::vector<char> trainArena_, predictArena_;\n"
     << "  std::vector<NamedTensor> tensors_;\n};\n\n} // namespace\n\n"
     << "std::unique_ptr<CompiledModel> cardinal::rt::createCompiledModel() {\n"
     << "  return std::make_unique<GeneratedModel>();\n}\n";
  return os.str();
}

} // namespace cardinal::codegen
