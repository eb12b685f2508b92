#include "frontend/DSL.h"

CARDINAL_MODEL(g, options) {
  cardinal::dsl::Tensor x = g.input("image", {1, 16, 8, 8});
  auto stage = g.scope("stage2");
  auto block = g.scope("block0");
  cardinal::dsl::Tensor t = g.conv("conv1", x, 32, 3);
  g.output({g.add(t, x)});  // 32 channels + 16 channels
}
