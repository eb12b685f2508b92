//===- Zoo.cpp - built-in models ------------------------------------------===//
#include "models/Zoo.h"
#include "models/ResNeXt.h"

namespace cardinal::models {

namespace {

ResNeXtSpec imagenet(int depth, int64_t C, int64_t d, bool plain = false) {
  ResNeXtSpec s;
  s.blocks = depth == 101 ? std::vector<int>{3, 4, 23, 3}
                          : std::vector<int>{3, 4, 6, 3};
  s.cardinality = C;
  s.bottleneckWidth = d;
  s.plain = plain;
  return s;
}

ResNeXtSpec cifar29(int64_t C, int64_t d) {
  ResNeXtSpec s;
  s.cifar = true;
  s.blocks = {3, 3, 3};
  s.cardinality = C;
  s.bottleneckWidth = d;
  s.defaultImage = 32;
  s.defaultClasses = 10;
  return s;
}

// Small enough to train on 2 CPU cores: CIFAR layout, one block per stage.
ResNeXtSpec cifarSmall() {
  ResNeXtSpec s;
  s.cifar = true;
  s.blocks = {1, 1, 1};
  s.cardinality = 4;
  s.bottleneckWidth = 4;
  s.stemWidth = 16;
  s.firstStageWidth = 32;
  s.defaultImage = 32;
  s.defaultClasses = 10;
  return s;
}

ZooEntry entry(std::string name, std::string description, ResNeXtSpec spec) {
  return {std::move(name), std::move(description),
          [spec](dsl::Graph &g, const dsl::ModelOptions &o) {
            buildResNeXt(g, spec, o);
          }};
}

// One conv2-stage block (w=256, C=32, d=4, 56x56): the unit of Fig. 3.
ZooEntry blockEntry() {
  return {"resnext_block", "one ResNeXt block, w=256, C=32, d=4, 56x56 (Fig. 3)",
          [](dsl::Graph &g, const dsl::ModelOptions &o) {
            int64_t image = o.image ? o.image : 56;
            dsl::Tensor x = g.input("x", {o.batch, 256, image, image});
            auto s = g.scope("stage2");
            auto b = g.scope("block0");
            g.output({resnextBlock(g, x, 32, 4, 256, 1)});
          }};
}

std::vector<ZooEntry> makeZoo() {
  std::vector<ZooEntry> z;
  z.push_back(entry("resnext50_32x4d", "ResNeXt-50 (32x4d), ImageNet",
                    imagenet(50, 32, 4)));
  z.push_back(entry("resnext101_32x4d", "ResNeXt-101 (32x4d), ImageNet",
                    imagenet(101, 32, 4)));
  z.push_back(entry("resnext101_64x4d", "ResNeXt-101 (64x4d), ImageNet",
                    imagenet(101, 64, 4)));
  z.push_back(entry("resnet50", "ResNet-50 baseline (plain bottleneck)",
                    imagenet(50, 1, 64, /*plain=*/true)));
  z.push_back(entry("resnet101", "ResNet-101 baseline (plain bottleneck)",
                    imagenet(101, 1, 64, /*plain=*/true)));
  // Table 2: equal complexity at depth 50 (32x4d is resnext50_32x4d).
  for (auto [C, d] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 64}, {2, 40}, {4, 24}, {8, 14}}) {
    std::string cd = std::to_string(C) + "x" + std::to_string(d) + "d";
    z.push_back(entry("resnext50_" + cd,
                      "ResNeXt-50 (" + cd + "), Table 2 family",
                      imagenet(50, C, d)));
  }
  z.push_back(entry("resnext29_8x64d", "ResNeXt-29 (8x64d), CIFAR",
                    cifar29(8, 64)));
  z.push_back(entry("resnext29_16x64d", "ResNeXt-29 (16x64d), CIFAR",
                    cifar29(16, 64)));
  z.push_back(entry("resnext29_4x16d",
                    "ResNeXt-29 (4x16d), CIFAR; small enough for CPU "
                    "benchmarks",
                    cifar29(4, 16)));
  z.push_back(entry("resnext_small",
                    "small CIFAR-style ResNeXt (C=4, d=4, 1 block/stage) "
                    "for CPU tests",
                    cifarSmall()));
  z.push_back(blockEntry());
  return z;
}

} // namespace

const std::vector<ZooEntry> &zoo() {
  static const std::vector<ZooEntry> models = makeZoo();
  return models;
}

const ZooEntry *findModel(const std::string &name) {
  for (const ZooEntry &e : zoo())
    if (e.name == name)
      return &e;
  return nullptr;
}

} // namespace cardinal::models
