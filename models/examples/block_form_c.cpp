// One ResNeXt block (w = 256, C = 32, d = 4, 56x56) written directly in
// form (c) of the paper's Fig. 3: the C paths' first layers become one
// 1x1 conv to C*d channels, their 3x3 layers one grouped conv (groups = C).
//
//   cardinal build models/examples/block_form_c.cpp --emit=mlir
#include "frontend/DSL.h"

using cardinal::dsl::Tensor;

CARDINAL_MODEL(g, options) {
  const int64_t w = 256, C = 32, d = 4;
  const int64_t size = options.image ? options.image : 56;
  Tensor x = g.input("x", {options.batch, w, size, size});

  auto stage = g.scope("stage2");
  auto block = g.scope("block0");
  Tensor t = g.relu(g.bn("bn1", g.conv("conv1", x, C * d, 1)));
  t = g.relu(g.bn("bn2", g.conv("conv2", t, C * d, 3, /*stride=*/1,
                                /*groups=*/C)));
  t = g.bn("bn3", g.conv("conv3", t, w, 1));
  g.output({g.relu(g.add(t, x))});
}
