#include "frontend/DSL.h"

CARDINAL_MODEL(g, options) {
  cardinal::dsl::Tensor x = g.input("image", {1, 3, 8, 8});
  g.output({g.relu(y)});  // 'y' was never declared
}
