//===- ResNeXt.cpp - the paper's networks, written in the DSL -------------===//
#include "models/ResNeXt.h"

#include <string>

namespace cardinal::models {

using dsl::Graph;
using dsl::Tensor;

// Projection (1x1 conv + BN) only where the shape changes (paper, Sec. 4).
static Tensor shortcut(Graph &g, Tensor x, int64_t width, int64_t stride) {
  if (stride == 1 && x.channels() == width)
    return x;
  return g.bn("shortcut.bn", g.conv("shortcut.conv", x, width, 1, stride));
}

Tensor resnextBlock(Graph &g, Tensor x, int64_t C, int64_t d, int64_t width,
                    int64_t stride) {
  Tensor sum = g.aggregate(x, C, [&](Tensor in) {
    Tensor t = g.relu(g.bn("bn1", g.conv("conv1", in, d, 1)));
    t = g.relu(g.bn("bn2", g.conv("conv2", t, d, 3, stride)));
    return g.conv("conv3", t, width, 1);
  });
  return g.relu(g.add(g.bn("bn3", sum), shortcut(g, x, width, stride)));
}

Tensor bottleneckBlock(Graph &g, Tensor x, int64_t inner, int64_t width,
                       int64_t stride) {
  Tensor t = g.relu(g.bn("bn1", g.conv("conv1", x, inner, 1)));
  t = g.relu(g.bn("bn2", g.conv("conv2", t, inner, 3, stride)));
  t = g.bn("bn3", g.conv("conv3", t, width, 1));
  return g.relu(g.add(t, shortcut(g, x, width, stride)));
}

void buildResNeXt(Graph &g, const ResNeXtSpec &spec,
                  const dsl::ModelOptions &options) {
  int64_t image = options.image ? options.image : spec.defaultImage;
  int64_t classes = options.classes ? options.classes : spec.defaultClasses;
  Tensor x = g.input("image", {options.batch, options.channels, image, image});
  {
    auto s = g.scope("stem");
    if (spec.cifar) {
      x = g.relu(g.bn("bn", g.conv("conv", x, spec.stemWidth, 3)));
    } else {
      x = g.relu(g.bn("bn", g.conv("conv", x, spec.stemWidth, 7, 2)));
      x = g.maxPool(x, 3, 2, 1);
    }
  }
  // Rule (ii): when the spatial size halves, widths (w and C*d) double.
  int64_t width = spec.firstStageWidth, d = spec.bottleneckWidth;
  for (size_t stage = 0; stage < spec.blocks.size(); ++stage) {
    auto s = g.scope("stage" + std::to_string(stage + 2));
    for (int b = 0; b < spec.blocks[stage]; ++b) {
      auto blk = g.scope("block" + std::to_string(b));
      int64_t stride = (b == 0 && stage > 0) ? 2 : 1;
      x = spec.plain ? bottleneckBlock(g, x, spec.cardinality * d, width, stride)
                     : resnextBlock(g, x, spec.cardinality, d, width, stride);
    }
    width *= 2;
    d *= 2;
  }
  auto s = g.scope("head");
  Tensor logits = g.linear("fc", g.globalAvgPool(x), classes);
  g.output({logits});
}

} // namespace cardinal::models
