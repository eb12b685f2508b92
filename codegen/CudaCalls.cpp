//===- CudaCalls.cpp - one kernel-plan call as CUDA runtime calls ----------===//
#include "codegen/CudaCalls.h"
#include "codegen/EmitterUtil.h"

#include <fmt/format.h>

#include <stdexcept>

namespace cardinal::codegen {

namespace {

// Operand roles per kernel, inputs then outputs: 'a' activation (type T),
// 'w' weight or bias (T), 'f' float, 'l' labels; 's' everywhere means every
// operand has the type of the first input (pointwise, pooling, concat).
struct Roles {
  const char *in, *out;
};

const std::map<std::string, Roles> &roleTable() {
  static const std::map<std::string, Roles> table = {
      {"conv2d_forward", {"aww", "a"}},
      {"conv2d_bn_act", {"awffffa", "a"}},
      {"conv2d_backward_data", {"aw", "a"}},
      {"conv2d_backward_weight", {"aa", "f"}},
      {"bias_grad", {"a", "f"}},
      {"batch_norm_train", {"affff", "a"}},
      {"batch_norm_eval", {"affff", "a"}},
      {"bn_train_relu", {"affff", "a"}},
      {"batch_norm_backward", {"aaf", "aff"}},
      {"bn_relu_backward", {"aaaf", "aff"}},
      // The conv-level training fusion: BN statistics are float values.
      {"conv2d_stats", {"awffff", "aff"}},
      {"bn_relu_conv2d_stats", {"affffwffff", "aff"}},
      {"bn_relu_conv2d", {"affffw", "a"}},
      {"bn_relu_conv2d_backward_weight", {"affffa", "f"}},
      {"bn_add_relu", {"affffa", "a"}},
      {"bn_relu_apply_backward", {"aaffff", "aff"}},
      {"bn_add_relu_backward", {"aaafff", "aaff"}},
      // ... with the BN-grad reductions in the conv backward-data.
      {"conv2d_backward_data_bn_sums", {"awaffff", "aff"}},
      {"bn_relu_apply_backward_input", {"aaffffff", "a"}},
      {"relu_forward", {"s", "s"}},
      {"relu_backward", {"s", "s"}},
      {"add", {"s", "s"}},
      {"concat", {"s", "s"}},
      {"slice", {"s", "s"}},
      {"slice_backward", {"s", "s"}},
      {"max_pool_forward", {"s", "s"}},
      {"max_pool_backward", {"s", "s"}},
      {"global_avg_pool_forward", {"s", "s"}},
      {"global_avg_pool_backward", {"s", "s"}},
      {"linear_forward", {"aww", "a"}},
      {"linear_backward_data", {"aw", "a"}},
      {"linear_backward_weight", {"aa", "f"}},
      {"softmax_cross_entropy", {"al", "f"}},
      {"softmax_cross_entropy_backward", {"al", "a"}},
      {"sgd_update", {"ff", ""}},
  };
  return table;
}

char roleAt(const char *roles, size_t i) {
  if (roles[0] == 's')
    return 's';
  size_t n = std::char_traits<char>::length(roles);
  return i < n ? roles[i] : 'a';
}


const std::string &bnOwner(const KernelCall &c) { return c.names.at("bn"); }

// The weight of a conv kernel's forward convolution (null: not a conv).
const std::vector<int64_t> *convWeight(const KernelCall &c) {
  const std::string &k = c.kernel;
  if (k == "conv2d_forward" || k == "conv2d_backward_data" ||
      k == "conv2d_stats" || k == "conv2d_backward_data_bn_sums")
    return &c.inputs[1].shape;
  if (k == "bn_relu_conv2d" || k == "bn_relu_conv2d_stats")
    return &c.inputs[5].shape;
  if (k == "conv2d_backward_weight" || k == "bn_relu_conv2d_backward_weight")
    return &c.outputs[0].shape;
  return nullptr;
}

// The input of a conv kernel's forward convolution (c is a conv kernel).
const std::vector<int64_t> &convInput(const KernelCall &c) {
  const std::string &k = c.kernel;
  if (k == "conv2d_backward_data" || k == "conv2d_backward_data_bn_sums")
    return c.outputs[0].shape;
  return c.inputs[0].shape;
}

// Widest input row the generated grouped kernels take (GroupedConv.cuh's
// Geometry: one row of pixels per block; fitsGroupedConv3x3).
constexpr int64_t kGroupedMaxWidth = 512;

// Prints the comment over a grouped 3x3 call (`fuses`: what the generated
// kernel fuses; `then`: what runs after it; either may be empty) and returns
// its template arguments: groups, widths per group, input extent, stride,
// element type. The call is a fasterGroupedConv3x3* of GroupedConvChoice.cuh:
// the generated kernel or cuDNN, whichever its first call timed faster.
std::string groupedTemplate(std::ostringstream &os, const KernelCall &c,
                            const std::vector<int64_t> &x, int64_t outChannels,
                            const char *T, const std::string &fuses,
                            const std::string &then) {
  const int64_t groups = c.ints.at("groups");
  os << fmt::format("    // grouped 3x3{}: {} groups of {} -> {} channels, "
                    "input {}x{}, stride {}; generated kernel or cuDNN, "
                    "timed once{}\n",
                    fuses.empty() ? "" : " (" + fuses + ")", groups,
                    x[1] / groups, outChannels / groups, x[2], x[3],
                    c.ints.at("stride_h"), then.empty() ? "" : "; " + then);
  return fmt::format("{}, {}, {}, {}, {}, {}, {}", groups, x[1] / groups,
                     outChannels / groups, x[2], x[3], c.ints.at("stride_h"),
                     T);
}

} // namespace

bool cudaEmitterSupports(const std::string &kernel) {
  return roleTable().count(kernel) != 0;
}

std::set<std::string> lowPrecisionWeights(const KernelPlan &plan) {
  std::set<std::string> names;
  for (const KernelCall &c : plan.calls) {
    auto it = roleTable().find(c.kernel);
    if (it == roleTable().end())
      continue;
    for (size_t i = 0; i < c.inputs.size(); ++i)
      if (roleAt(it->second.in, i) == 'w' &&
          c.inputs[i].kind == Buffer::Kind::Persistent)
        names.insert(c.inputs[i].name);
  }
  return names;
}

bool usesGeneratedGroupedConv(const KernelCall &c, const CudaOptions &opts) {
  if (opts.cudnnOnly)
    return false;
  const std::vector<int64_t> *weight = convWeight(c);
  if (!weight)
    return false;
  const auto &w = *weight;
  const auto &i = c.ints;
  const auto &x = convInput(c);
  return i.at("groups") > 1 && w.size() == 4 && w[2] == 3 && w[3] == 3 &&
         i.at("pad_h") == 1 && i.at("pad_w") == 1 && i.at("dilation_h") == 1 &&
         i.at("dilation_w") == 1 && i.at("stride_h") == i.at("stride_w") &&
         (i.at("stride_h") == 1 || i.at("stride_h") == 2) && x.size() == 4 &&
         x[3] <= kGroupedMaxWidth;
}

char CudaCallPrinter::typeOf(const Buffer &b) const {
  switch (b.kind) {
  case Buffer::Kind::Arena: {
    auto it = written.find(b.offset);
    return it == written.end() ? 'a' : it->second;
  }
  case Buffer::Kind::Persistent:
    return 'f';
  case Buffer::Kind::Images:
    return 'a';
  case Buffer::Kind::Labels:
    return 'l';
  }
  return 'a';
}

std::string CudaCallPrinter::ptr(const Buffer &b, char role) {
  const char *type = role == 'l' ? "int32_t" : role == 'f' ? "float" : act();
  switch (b.kind) {
  case Buffer::Kind::Arena:
    return fmt::format("reinterpret_cast<{} *>(arena + {})", type, b.offset);
  case Buffer::Kind::Persistent:
    if (role == 'w' && lowp.count(b.name))
      return member(b.name) + "_lowp()";
    return member(b.name) + "()";
  case Buffer::Kind::Images:
    return "images";
  case Buffer::Kind::Labels:
    return "labels";
  }
  return "nullptr";
}

// In bf16 mode a float buffer read as an activation (or the reverse) would be
// misread bits: refuse to print it.
void CudaCallPrinter::check(const KernelCall &c, const Buffer &b,
                            char role) const {
  if (!opts.bf16 || b.kind != Buffer::Kind::Arena)
    return;
  char want = role == 'w' ? 'a' : role;
  if (typeOf(b) != want)
    throw std::runtime_error(fmt::format(
        "CUDA emitter: kernel '{}' ({}) reads a {} buffer as {} (a Cardinal "
        "bug; build with --precision fp32 or --target cpu)",
        c.kernel, c.origin, typeOf(b) == 'f' ? "float" : "bf16",
        want == 'f' ? "float" : "bf16"));
}

void CudaCallPrinter::conv(const KernelCall &c) {
  const auto &in = c.inputs;
  const auto &out = c.outputs;
  const std::string &k = c.kernel;
  const char *T = act();
  // The shape the kernel sees: x, weight, y of the forward convolution.
  const auto &x = k == "conv2d_backward_data" ? out[0].shape : in[0].shape;
  const auto &w = k == "conv2d_backward_weight" ? out[0].shape : in[1].shape;
  const auto &y = k == "conv2d_forward"         ? out[0].shape
                  : k == "conv2d_backward_data" ? in[0].shape
                                                : in[1].shape;
  if (usesGeneratedGroupedConv(c, opts)) {
    const std::string args = groupedTemplate(os, c, x, w[0], T, "", "");
    if (k == "conv2d_forward")
      os << fmt::format("    fasterGroupedConv3x3Forward<{}>(ctx, {}, {}, {}, "
                        "{}, {});\n",
                        args, x[0], ptr(in[0], 'a'), ptr(in[1], 'w'),
                        in.size() > 2 ? ptr(in[2], 'w') : "nullptr",
                        ptr(out[0], 'a'));
    else if (k == "conv2d_backward_data")
      os << fmt::format("    fasterGroupedConv3x3BackwardData<{}>(ctx, {}, "
                        "{}, {}, {}, false);\n",
                        args, x[0], ptr(in[0], 'a'), ptr(in[1], 'w'),
                        ptr(out[0], 'a'));
    else
      os << fmt::format("    fasterGroupedConv3x3BackwardWeight<{}>(ctx, {}, "
                        "{}, {}, {}, nullptr);\n",
                        args, x[0], ptr(in[0], 'a'), ptr(in[1], 'a'),
                        ptr(out[0], 'f'));
    return;
  }
  std::string shape = convShape(x, w, y, c);
  if (k == "conv2d_forward")
    os << fmt::format("    conv2dForward<{}>(ctx, {}, {}, {}, {}, {});\n", T,
                      shape, ptr(in[0], 'a'), ptr(in[1], 'w'),
                      in.size() > 2 ? ptr(in[2], 'w') : "nullptr",
                      ptr(out[0], 'a'));
  else if (k == "conv2d_backward_data")
    os << fmt::format("    conv2dBackwardData<{}>(ctx, {}, {}, {}, {});\n", T,
                      shape, ptr(in[0], 'a'), ptr(in[1], 'w'),
                      ptr(out[0], 'a'));
  else
    os << fmt::format("    conv2dBackwardWeight<{}>(ctx, {}, {}, {}, {}, "
                      "nullptr);\n",
                      T, shape, ptr(in[0], 'a'), ptr(in[1], 'a'),
                      ptr(out[0], 'f'));
}

// The conv-level training fusion's convs: grouped 3x3 layers instantiate
// GroupedConv.cuh's fused templates (prologue and statistics epilogue in
// the conv kernel) through GroupedConvChoice.cuh, which runs them or the
// library's decomposition on cuDNN, whichever is faster; the rest call the
// library (a decomposition, ConvBn.cu).
void CudaCallPrinter::fusedConv(const KernelCall &c) {
  const auto &in = c.inputs;
  const auto &out = c.outputs;
  const std::string &k = c.kernel;
  const char *T = act();
  const bool weightGrad = k == "bn_relu_conv2d_backward_weight";
  const bool prologue = k != "conv2d_stats";
  const auto &x = in[0].shape, &w = *convWeight(c);
  const auto &y = weightGrad ? in[5].shape : out[0].shape;
  // (x[, inMean, inInvstd, inScale, inShift], w | dy)
  std::string args = ptr(in[0], 'a');
  if (prologue)
    args += fmt::format(", {}, {}, {}, {}", ptr(in[1], 'f'), ptr(in[2], 'f'),
                        ptr(in[3], 'f'), ptr(in[4], 'f'));
  if (k == "conv2d_stats")
    args += ", " + ptr(in[1], 'w');
  else
    args += ", " + ptr(in[5], weightGrad ? 'a' : 'w');
  if (k == "conv2d_stats" || k == "bn_relu_conv2d_stats")
    args += fmt::format(", {}, {}, {}, {}, {}, {}, {}",
                        floatLit(c.reals.at("eps")),
                        floatLit(c.reals.at("momentum")), ptr(out[0], 'a'),
                        ptr(out[1], 'f'), ptr(out[2], 'f'),
                        ptr(in[in.size() - 2], 'f'),
                        ptr(in[in.size() - 1], 'f'));
  else
    args += ", " + ptr(out[0], weightGrad ? 'f' : 'a');
  // kernel -> (grouped 3x3 call: generated template or cuDNN, library entry
  // point, what the generated kernel fuses).
  struct Names {
    const char *grouped, *library, *fuses;
  };
  static const std::map<std::string, Names> names = {
      {"conv2d_stats",
       {"fasterGroupedConv3x3StatsForward", "conv2dStatsForward",
        "statistics epilogue"}},
      {"bn_relu_conv2d_stats",
       {"fasterGroupedConv3x3BnReluStatsForward",
        "bnReluConv2dStatsForward", "BN+ReLU prologue, statistics epilogue"}},
      {"bn_relu_conv2d",
       {"fasterGroupedConv3x3BnReluForward", "bnReluConv2dForward",
        "BN+ReLU prologue"}},
      {"bn_relu_conv2d_backward_weight",
       {"fasterGroupedConv3x3BnReluBackwardWeight",
        "bnReluConv2dBackwardWeight", "BN+ReLU prologue, weight gradient"}},
  };
  const Names &n = names.at(k);
  if (usesGeneratedGroupedConv(c, opts)) {
    const std::string targs = groupedTemplate(os, c, x, w[0], T, n.fuses, "");
    os << fmt::format("    {}<{}>(ctx, {}, {});\n", n.grouped, targs, x[0],
                      args);
    return;
  }
  os << fmt::format("    {}<{}>(ctx, {}, {});\n", n.library, T,
                    convShape(x, w, y, c), args);
}

void CudaCallPrinter::emit(const KernelCall &c, size_t index) {
  auto role = roleTable().find(c.kernel);
  if (role == roleTable().end())
    throw std::runtime_error(fmt::format(
        "CUDA emitter: no CUDA code for kernel '{}' (from {}); build this "
        "model with --target cpu, or without the fusion that made it "
        "(--no-fuse)",
        c.kernel, c.origin));
  const auto &in = c.inputs;
  const auto &out = c.outputs;
  const std::string &k = c.kernel;
  // Pointwise and layout kernels keep the type of what they read.
  char same = in.empty() ? 'a' : typeOf(in[0]);
  auto r = [&](const char *roles, size_t i) {
    char x = roleAt(roles, i);
    return x == 's' ? same : x;
  };
  for (size_t i = 0; i < in.size(); ++i)
    check(c, in[i], r(role->second.in, i));
  const char *T = same == 'f' && role->second.in[0] == 's' ? "float" : act();
  auto P = [&](const Buffer &b, size_t i, bool isOut) {
    return ptr(b, r(isOut ? role->second.out : role->second.in, i));
  };

  os << fmt::format("    // {}: {}\n", index, c.origin);
  if (k == "conv2d_forward" || k == "conv2d_backward_data" ||
      k == "conv2d_backward_weight") {
    conv(c);
  } else if (k == "conv2d_bn_act") {
    os << fmt::format(
        "    conv2dBnActForward<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
        "{}, {});\n",
        T, convShape(in[0].shape, in[1].shape, out[0].shape, c),
        P(in[0], 0, false), P(in[1], 1, false), P(in[2], 2, false),
        P(in[3], 3, false), P(in[4], 4, false), P(in[5], 5, false),
        floatLit(c.reals.at("eps")),
        c.ints.at("residual") ? P(in[6], 6, false) : "nullptr",
        c.ints.at("relu") ? "true" : "false", P(out[0], 0, true));
  } else if (k == "conv2d_stats" || k == "bn_relu_conv2d_stats" ||
             k == "bn_relu_conv2d" || k == "bn_relu_conv2d_backward_weight") {
    fusedConv(c);
  } else if (k == "conv2d_backward_data_bn_sums") {
    // dx = conv^T(dy, w), then the BN + ReLU backward's reductions over it
    // (the mask recomputed from the BN's input in[2]).
    const auto &x = out[0].shape;
    if (usesGeneratedGroupedConv(c, opts)) {
      const std::string targs =
          groupedTemplate(os, c, x, in[1].shape[0], T, "",
                          "then the BN-grad reductions over dx");
      os << fmt::format("    fasterGroupedConv3x3BackwardData<{}>(ctx, {}, "
                        "{}, {}, {}, false);\n",
                        targs, x[0], P(in[0], 0, false), P(in[1], 1, false),
                        P(out[0], 0, true))
         << fmt::format("    bnReluGradSums<{}>(ctx, {}, {}, {}, {}, {}, {}, "
                        "{}, {}, {});\n",
                        T, actShape(x), P(in[2], 2, false), P(out[0], 0, true),
                        P(in[3], 3, false), P(in[4], 4, false),
                        P(in[5], 5, false), P(in[6], 6, false),
                        P(out[1], 1, true), P(out[2], 2, true));
    } else {
      os << fmt::format(
          "    conv2dBackwardDataBnSums<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, "
          "{}, {}, {}, {});\n",
          T, convShape(x, in[1].shape, in[0].shape, c), P(in[0], 0, false),
          P(in[1], 1, false), P(in[2], 2, false), P(in[3], 3, false),
          P(in[4], 4, false), P(in[5], 5, false), P(in[6], 6, false),
          P(out[0], 0, true), P(out[1], 1, true), P(out[2], 2, true));
    }
  } else if (k == "bn_relu_apply_backward_input") {
    os << fmt::format(
        "    bnReluApplyBackwardInput<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, "
        "{}, {});\n",
        T, actShape(in[1].shape), P(in[1], 1, false), P(in[0], 0, false),
        P(in[2], 2, false), P(in[3], 3, false), P(in[4], 4, false),
        P(in[5], 5, false), P(in[6], 6, false), P(in[7], 7, false),
        P(out[0], 0, true));
  } else if (k == "bn_add_relu") {
    os << fmt::format(
        "    bnAddReluForward<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {});\n", T,
        actShape(in[0].shape), P(in[0], 0, false), P(in[1], 1, false),
        P(in[2], 2, false), P(in[3], 3, false), P(in[4], 4, false),
        P(in[5], 5, false), P(out[0], 0, true));
  } else if (k == "bn_relu_apply_backward") {
    os << fmt::format(
        "    bnReluApplyBackward<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
        "{});\n",
        T, actShape(in[1].shape), P(in[1], 1, false), P(in[0], 0, false),
        P(in[2], 2, false), P(in[3], 3, false), P(in[4], 4, false),
        P(in[5], 5, false), P(out[0], 0, true), P(out[1], 1, true),
        P(out[2], 2, true));
  } else if (k == "bn_add_relu_backward") {
    os << fmt::format(
        "    bnAddReluBackward<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
        "{});\n",
        T, actShape(in[2].shape), P(in[2], 2, false), P(in[1], 1, false),
        P(in[0], 0, false), P(in[3], 3, false), P(in[4], 4, false),
        P(in[5], 5, false), P(out[0], 0, true), P(out[1], 1, true),
        P(out[2], 2, true), P(out[3], 3, true));
  } else if (k == "bias_grad") {
    const auto &s = in[0].shape;
    int64_t hw = s.size() > 2 ? s[2] * s[3] : 1;
    os << fmt::format("    biasGrad<{}>(ctx, {}, {}, {}, {}, {});\n", T, s[0],
                      s[1], hw, P(in[0], 0, false), P(out[0], 0, true));
  } else if (k == "batch_norm_train" || k == "bn_train_relu") {
    const std::string &bn = bnOwner(c);
    os << fmt::format(
        "    {}<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
        k == "bn_train_relu" ? "bnTrainReluForward" : "batchNormForwardTrain",
        T, actShape(in[0].shape), P(in[0], 0, false), P(in[1], 1, false),
        P(in[2], 2, false), floatLit(c.reals.at("eps")),
        floatLit(c.reals.at("momentum")), P(out[0], 0, true),
        member(bn + ".saved_mean") + "()", member(bn + ".saved_invstd") + "()",
        P(in[3], 3, false), P(in[4], 4, false));
  } else if (k == "batch_norm_eval") {
    os << fmt::format(
        "    batchNormForwardEval<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {});\n",
        T, actShape(in[0].shape), P(in[0], 0, false), P(in[1], 1, false),
        P(in[2], 2, false), P(in[3], 3, false), P(in[4], 4, false),
        floatLit(c.reals.at("eps")), P(out[0], 0, true));
  } else if (k == "batch_norm_backward") {
    const std::string &bn = bnOwner(c);
    os << fmt::format(
        "    batchNormBackward<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
        T, actShape(in[1].shape), P(in[1], 1, false), P(in[0], 0, false),
        P(in[2], 2, false), member(bn + ".saved_mean") + "()",
        member(bn + ".saved_invstd") + "()", P(out[0], 0, true),
        P(out[1], 1, true), P(out[2], 2, true));
  } else if (k == "bn_relu_backward") {
    const std::string &bn = bnOwner(c);
    os << fmt::format(
        "    bnReluBackward<{}>(ctx, {}, {}, {}, {}, {}, {}, {}, {}, {}, {});\n",
        T, actShape(in[2].shape), P(in[2], 2, false), P(in[1], 1, false),
        P(in[0], 0, false), P(in[3], 3, false),
        member(bn + ".saved_mean") + "()", member(bn + ".saved_invstd") + "()",
        P(out[0], 0, true), P(out[1], 1, true), P(out[2], 2, true));
  } else if (k == "relu_forward") {
    os << fmt::format("    reluForward<{}>(ctx, {}, {}, {});\n", T,
                      in[0].elements(), P(in[0], 0, false), P(out[0], 0, true));
  } else if (k == "relu_backward") {
    os << fmt::format("    reluBackward<{}>(ctx, {}, {}, {}, {});\n", T,
                      in[0].elements(), P(in[1], 1, false), P(in[0], 0, false),
                      P(out[0], 0, true));
  } else if (k == "add") {
    if (opts.bf16 && typeOf(in[1]) != same)
      throw std::runtime_error("CUDA emitter: 'add' (" + c.origin +
                               ") of a float and a bf16 buffer");
    os << fmt::format("    add<{}>(ctx, {}, {}, {}, {});\n", T,
                      in[0].elements(), P(in[0], 0, false), P(in[1], 1, false),
                      P(out[0], 0, true));
  } else if (k == "concat") {
    if (c.ints.at("axis") != 1)
      throw std::runtime_error("CUDA emitter: concat (" + c.origin +
                               ") only along channels");
    const auto &s = out[0].shape;
    int64_t hw = s.size() > 2 ? s[2] * s[3] : 1;
    std::string ptrs, chans;
    for (size_t i = 0; i < in.size(); ++i) {
      ptrs += (i ? ", " : "") + P(in[i], i, false);
      chans += (i ? ", " : "") + std::to_string(in[i].shape[1]);
    }
    os << fmt::format("    {{\n      const {} *parts[] = {{{}}};\n"
                      "      const int64_t channels[] = {{{}}};\n"
                      "      concatChannelsForward<{}>(ctx, {}, {}, {}, parts, "
                      "channels, {});\n    }}\n",
                      T, ptrs, chans, T, s[0], hw, in.size(),
                      P(out[0], 0, true));
  } else if (k == "slice" || k == "slice_backward") {
    if (c.ints.at("axis") != 1)
      throw std::runtime_error("CUDA emitter: slice (" + c.origin +
                               ") only along channels");
    const auto &whole = k == "slice" ? in[0].shape : out[0].shape;
    const auto &part = k == "slice" ? out[0].shape : in[0].shape;
    int64_t hw = whole.size() > 2 ? whole[2] * whole[3] : 1;
    os << fmt::format("    slice{}<{}>(ctx, {}, {}, {}, {}, {}, {}, {});\n",
                      k == "slice" ? "ChannelsForward" : "ChannelsBackward", T,
                      whole[0], whole[1], hw, c.ints.at("start"), part[1],
                      P(in[0], 0, false), P(out[0], 0, true));
  } else if (k == "max_pool_forward" || k == "max_pool_backward") {
    const auto &x = k == "max_pool_forward" ? in[0].shape : in[1].shape;
    std::string shape = fmt::format(
        "PoolShape::make({}, {}, {}, {}, {}, {}, {})", x[0], x[1], x[2], x[3],
        c.ints.at("kernel"), c.ints.at("stride"), c.ints.at("pad"));
    if (k == "max_pool_forward")
      os << fmt::format("    maxPool2dForward<{}>(ctx, {}, {}, {}, nullptr);\n",
                        T, shape, P(in[0], 0, false), P(out[0], 0, true));
    else
      os << fmt::format(
          "    maxPool2dBackwardRecompute<{}>(ctx, {}, {}, {}, {});\n", T,
          shape, P(in[1], 1, false), P(in[0], 0, false), P(out[0], 0, true));
  } else if (k == "global_avg_pool_forward") {
    os << fmt::format("    globalAvgPoolForward<{}>(ctx, {}, {}, {});\n", T,
                      actShape(in[0].shape), P(in[0], 0, false),
                      P(out[0], 0, true));
  } else if (k == "global_avg_pool_backward") {
    os << fmt::format("    globalAvgPoolBackward<{}>(ctx, {}, {}, {});\n", T,
                      actShape(out[0].shape), P(in[0], 0, false),
                      P(out[0], 0, true));
  } else if (k == "linear_forward") {
    os << fmt::format("    linearForward<{}>(ctx, LinearShape{{{}, {}, {}}}, "
                      "{}, {}, {}, {});\n",
                      T, in[0].shape[0], in[0].shape[1], in[1].shape[0],
                      P(in[0], 0, false), P(in[1], 1, false),
                      in.size() > 2 ? P(in[2], 2, false) : "nullptr",
                      P(out[0], 0, true));
  } else if (k == "linear_backward_data") {
    os << fmt::format("    linearBackward<{}>(ctx, LinearShape{{{}, {}, {}}}, "
                      "nullptr, {}, {}, {}, nullptr, nullptr);\n",
                      T, in[0].shape[0], out[0].shape[1], in[0].shape[1],
                      P(in[1], 1, false), P(in[0], 0, false),
                      P(out[0], 0, true));
  } else if (k == "linear_backward_weight") {
    os << fmt::format("    linearBackward<{}>(ctx, LinearShape{{{}, {}, {}}}, "
                      "{}, nullptr, {}, nullptr, {}, nullptr);\n",
                      T, in[0].shape[0], in[0].shape[1], in[1].shape[1],
                      P(in[0], 0, false), P(in[1], 1, false),
                      P(out[0], 0, true));
  } else if (k == "softmax_cross_entropy") {
    const auto &s = in[0].shape;
    os << fmt::format("    softmaxCrossEntropyForward<{}>(ctx, {}, {}, {}, {}, "
                      "nullptr, {});\n",
                      T, s[0], s[1], P(in[0], 0, false), P(in[1], 1, false),
                      P(out[0], 0, true));
  } else if (k == "softmax_cross_entropy_backward") {
    const auto &s = in[0].shape;
    os << fmt::format("    softmaxCrossEntropyBackward<{}>(ctx, {}, {}, {}, {}, "
                      "1.0f, {});\n",
                      T, s[0], s[1], P(in[0], 0, false), P(in[1], 1, false),
                      P(out[0], 0, true));
  } else if (k == "sgd_update") {
    const std::string &param = in[0].name;
    std::string wd = c.reals.at("weight_decay_scale") > 0 ? "hyper.weightDecay"
                                                           : "0.0f";
    std::string velocity = member(c.names.at("velocity")) + "()";
    if (lowp.count(param))
      // Also refreshes the bf16 copy the next step's kernels read.
      os << fmt::format("    sgdUpdate(ctx, {}, {}, {}, {}, hyper.lr, "
                        "hyper.momentum, {}, false, {});\n",
                        in[0].elements(), member(param) + "()",
                        P(in[1], 1, false), velocity, wd,
                        member(param) + "_lowp()");
    else
      os << fmt::format("    sgdUpdate(ctx, {}, {}, {}, {}, hyper.lr, "
                        "hyper.momentum, {});\n",
                        in[0].elements(), member(param) + "()",
                        P(in[1], 1, false), velocity, wd);
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].kind == Buffer::Kind::Arena)
      written[out[i].offset] = r(role->second.out, i) == 'f' ? 'f' : 'a';
}

} // namespace cardinal::codegen
