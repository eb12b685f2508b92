// A user-written model file: a two-stage CIFAR-style ResNeXt for 32x32
// images whose blocks are aggregates of C = 4 paths (the paper's Eq. 3).
//
//   cardinal build models/examples/tiny_resnext.cpp --emit=mlir
//   cardinal stats models/examples/tiny_resnext.cpp
#include "frontend/DSL.h"

#include <string>

using cardinal::dsl::Graph;
using cardinal::dsl::Tensor;

static Tensor block(Graph &g, Tensor x, int64_t C, int64_t d, int64_t w,
                    int64_t stride) {
  Tensor sum = g.aggregate(x, C, [&](Tensor in) {
    Tensor t = g.relu(g.bn("bn1", g.conv("conv1", in, d, 1)));
    t = g.relu(g.bn("bn2", g.conv("conv2", t, d, 3, stride)));
    return g.conv("conv3", t, w, 1);
  });
  Tensor shortcut = x;
  if (stride != 1 || x.channels() != w)
    shortcut = g.bn("shortcut.bn", g.conv("shortcut.conv", x, w, 1, stride));
  return g.relu(g.add(g.bn("bn3", sum), shortcut));
}

CARDINAL_MODEL(g, options) {
  const int64_t size = options.image ? options.image : 32;
  const int64_t classes = options.classes ? options.classes : 10;
  Tensor x = g.input("image", {options.batch, options.channels, size, size});
  {
    auto s = g.scope("stem");
    x = g.relu(g.bn("bn", g.conv("conv", x, 16, 3)));
  }
  int64_t w = 32, d = 4;
  for (int stage = 0; stage < 2; ++stage, w *= 2, d *= 2) {
    auto s = g.scope("stage" + std::to_string(stage + 2));
    auto b = g.scope("block0");
    x = block(g, x, /*C=*/4, d, w, stage == 0 ? 1 : 2);
  }
  auto s = g.scope("head");
  g.output({g.linear("fc", g.globalAvgPool(x), classes)});
}
