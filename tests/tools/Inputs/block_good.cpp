// One small ResNeXt block: relu(BN(sum of C=4 paths) + x).
#include "frontend/DSL.h"
using cardinal::dsl::Tensor;

CARDINAL_MODEL(g, options) {
  Tensor x = g.input("x", {2, 8, 6, 6});
  auto s = g.scope("stage2");
  auto b = g.scope("block0");
  Tensor sum = g.aggregate(x, 4, [&](Tensor in) {
    Tensor t = g.relu(g.bn("bn1", g.conv("conv1", in, 2, 1)));
    t = g.relu(g.bn("bn2", g.conv("conv2", t, 2, 3)));
    return g.conv("conv3", t, 8, 1);
  });
  Tensor y = g.bn("bn3", sum);
#ifdef RELU_BEFORE_ADD
  y = g.relu(y);
#endif
  g.output({g.relu(g.add(y, x))});
}
