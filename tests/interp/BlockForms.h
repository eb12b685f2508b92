//===- BlockForms.h - one ResNeXt block in the aggregate form and (a)-(c) -===//
//
// The same block written four ways with the DSL, parameters named so that
// the aggregate and form (a) share every name (pathParamName), and forms (b)
// and (c) take theirs from the per-path ones by concatenation (mapParams).
// Variants with deliberate mistakes feed the negative tests.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_INTERP_BLOCKFORMS_H
#define CARDINAL_TESTS_INTERP_BLOCKFORMS_H

#include "InterpTestUtil.h"

#include "interp/Kernels.h"
#include "interp/PathNames.h"
#include "models/ResNeXt.h"

#include <numeric>
#include <string>
#include <vector>

namespace cardinal::testing {

struct BlockConfig {
  int64_t batch = 2, inWidth = 8, image = 6;
  int64_t C = 4, d = 2, width = 8, stride = 1;
  bool training = false; // BN mode of every BN in the block
};

enum class Form {
  Aggregate, // nn.aggregate, as models::resnextBlock builds it
  A,         // C explicit paths summed with nn.add
  B,         // C paths up to the 3x3 layer, concatenated, one 1x1 conv
  C,         // 1x1 conv, grouped 3x3 conv, 1x1 conv
  // Mistakes the exact check must catch:
  BnInsidePaths,   // Σ BN3(conv3_i(...)) instead of BN3(Σ conv3_i(...))
  BPermutedConcat, // form (b) concatenating the paths in another order
};

inline std::string pathScope(int64_t i) { return "path" + std::to_string(i); }

inline dsl::Tensor blockShortcut(dsl::Graph &g, dsl::Tensor x,
                                 const BlockConfig &c) {
  if (c.stride == 1 && x.channels() == c.width)
    return x;
  return g.bn("shortcut.bn", g.conv("shortcut.conv", x, c.width, 1, c.stride),
              c.training);
}

/// relu(BN2(conv3x3(relu(BN1(conv1x1(x)))))) with `channels` channels.
inline dsl::Tensor pathHead(dsl::Graph &g, dsl::Tensor x, const BlockConfig &c,
                            int64_t channels, int64_t groups) {
  dsl::Tensor t =
      g.relu(g.bn("bn1", g.conv("conv1", x, channels, 1), c.training));
  return g.relu(g.bn("bn2", g.conv("conv2", t, channels, 3, c.stride, groups),
                     c.training));
}

inline dsl::Tensor sumAll(dsl::Graph &g, const std::vector<dsl::Tensor> &xs) {
  dsl::Tensor s = xs[0];
  for (size_t i = 1; i < xs.size(); ++i)
    s = g.add(s, xs[i]);
  return s;
}

inline dsl::Tensor buildBlock(dsl::Graph &g, dsl::Tensor x,
                              const BlockConfig &c, Form form) {
  if (form == Form::Aggregate && !c.training) // the zoo's own block
    return models::resnextBlock(g, x, c.C, c.d, c.width, c.stride);
  auto finish = [&](dsl::Tensor sum) {
    return g.relu(
        g.add(g.bn("bn3", sum, c.training), blockShortcut(g, x, c)));
  };
  std::vector<dsl::Tensor> outs;
  switch (form) {
  case Form::Aggregate:
    return finish(g.aggregate(x, c.C, [&](dsl::Tensor in) {
      return g.conv("conv3", pathHead(g, in, c, c.d, 1), c.width, 1);
    }));
  case Form::A:
    for (int64_t i = 0; i < c.C; ++i) {
      auto s = g.scope(pathScope(i));
      outs.push_back(g.conv("conv3", pathHead(g, x, c, c.d, 1), c.width, 1));
    }
    return finish(sumAll(g, outs));
  case Form::B:
  case Form::BPermutedConcat:
    for (int64_t i = 0; i < c.C; ++i) {
      auto s = g.scope(pathScope(i));
      outs.push_back(pathHead(g, x, c, c.d, 1));
    }
    if (form == Form::BPermutedConcat)
      std::swap(outs[0], outs[1]);
    return finish(g.conv("conv3", g.concat(outs), c.width, 1));
  case Form::C:
    return finish(
        g.conv("conv3", pathHead(g, x, c, c.C * c.d, c.C), c.width, 1));
  case Form::BnInsidePaths: {
    for (int64_t i = 0; i < c.C; ++i) {
      auto s = g.scope(pathScope(i));
      outs.push_back(g.bn(
          "bn3", g.conv("conv3", pathHead(g, x, c, c.d, 1), c.width, 1),
          c.training));
    }
    return g.relu(g.add(sumAll(g, outs), blockShortcut(g, x, c)));
  }
  }
  return {};
}

/// A module with input "x" and the block in scope "blk".
inline Module blockModule(const BlockConfig &c, Form form) {
  return buildModule("block", [&](dsl::Graph &g) {
    dsl::Tensor x = g.input("x", {c.batch, c.inWidth, c.image, c.image});
    auto s = g.scope("blk");
    g.output({buildBlock(g, x, c, form)});
  });
}

/// Concatenates path i's `blk.<layer>.<leaf>` along `axis`, paths in `order`.
template <typename T>
HostTensor<T> concatPaths(const TensorMap<T> &p, const std::string &layerLeaf,
                          const std::vector<int64_t> &order, int64_t axis) {
  std::vector<const HostTensor<T> *> parts;
  for (int64_t i : order)
    parts.push_back(&p.at(pathParamName("blk." + layerLeaf, i)));
  return kernels::concat(parts, axis);
}

/// The aggregate's (per-path) parameters mapped to `form`: (b) and (c) get
/// concatenated tensors; `bnOrder` permutes the paths of (c)'s BN parameters
/// (identity by default) to simulate a wrong parameter map.
template <typename T>
TensorMap<T> mapParams(const TensorMap<T> &p, const BlockConfig &c, Form form,
                       std::vector<int64_t> bnOrder = {}) {
  std::vector<int64_t> order(c.C);
  std::iota(order.begin(), order.end(), 0);
  if (bnOrder.empty())
    bnOrder = order;
  TensorMap<T> m = p;
  auto bn = [&](const std::string &layer) {
    for (const char *leaf : {"scale", "shift", "running_mean", "running_var"})
      m["blk." + layer + "." + leaf] =
          concatPaths(p, layer + "." + leaf, bnOrder, 0);
  };
  if (form == Form::B || form == Form::BPermutedConcat)
    m["blk.conv3.weight"] = concatPaths(p, "conv3.weight", order, 1);
  if (form == Form::C) {
    m["blk.conv1.weight"] = concatPaths(p, "conv1.weight", order, 0);
    m["blk.conv2.weight"] = concatPaths(p, "conv2.weight", order, 0);
    m["blk.conv3.weight"] = concatPaths(p, "conv3.weight", order, 1);
    bn("bn1");
    bn("bn2");
  }
  if (form == Form::BnInsidePaths) // every path gets a copy of the one BN3
    for (int64_t i = 0; i < c.C; ++i)
      for (const char *leaf : {"scale", "shift", "running_mean", "running_var"})
        m[pathParamName(std::string("blk.bn3.") + leaf, i)] =
            p.at(std::string("blk.bn3.") + leaf);
  return m;
}

} // namespace cardinal::testing

#endif // CARDINAL_TESTS_INTERP_BLOCKFORMS_H
