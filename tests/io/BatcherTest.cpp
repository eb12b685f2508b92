//===- BatcherTest.cpp - shuffling, sharding and augmentation
//--------------===//

#include "runtime/data/Batcher.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

using namespace cardinal;

namespace {

/// N samples of 1×2×3 whose pixels all equal the sample index.
rt::Dataset indexDataset(int64_t n) {
  rt::Dataset d;
  d.channels = 1;
  d.height = 2;
  d.width = 3;
  d.classes = 5;
  for (int64_t i = 0; i < n; ++i) {
    d.images.insert(d.images.end(), 6, static_cast<float>(i));
    d.labels.push_back(static_cast<int32_t>(i % 5));
  }
  return d;
}

/// The sample ids of one epoch, read back from the batches' pixels.
std::vector<int64_t> drain(rt::Batcher &b,
                           std::vector<int64_t> *sizes = nullptr) {
  const int64_t bs = b.options().batchSize;
  std::vector<float> images(bs * 6);
  std::vector<int32_t> labels(bs);
  std::vector<int64_t> ids;
  while (int64_t n = b.next(images.data(), labels.data())) {
    if (sizes)
      sizes->push_back(n);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t id = static_cast<int64_t>(images[k * 6]);
      EXPECT_EQ(labels[k], id % 5);
      ids.push_back(id);
    }
  }
  return ids;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

rt::BatcherOptions opts(int64_t batch, uint64_t seed = 1) {
  rt::BatcherOptions o;
  o.batchSize = batch;
  o.seed = seed;
  return o;
}

} // namespace

TEST(BatcherTest, EverySampleOncePerEpoch) {
  const rt::Dataset d = indexDataset(23);
  rt::Batcher b(d, opts(5));
  EXPECT_EQ(b.batchesPerEpoch(), 5);
  for (int64_t e = 0; e < 3; ++e) {
    b.startEpoch(e);
    std::vector<int64_t> sizes;
    std::vector<int64_t> ids = drain(b, &sizes);
    EXPECT_EQ(sizes, (std::vector<int64_t>{5, 5, 5, 5, 3}));
    EXPECT_EQ(ids, b.order());
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, iota(23)) << "epoch " << e;
  }
}

TEST(BatcherTest, OrderChangesPerEpochAndReproducesFromSeedEpoch) {
  const rt::Dataset d = indexDataset(50);
  rt::Batcher a(d, opts(8)), b(d, opts(8)), other(d, opts(8, 2));
  a.startEpoch(3);
  const std::vector<int64_t> e3 = drain(a);
  a.startEpoch(4);
  const std::vector<int64_t> e4 = drain(a);
  EXPECT_NE(e3, e4);
  EXPECT_NE(e3, iota(50));
  b.startEpoch(3); // a fresh Batcher "resuming" at epoch 3
  EXPECT_EQ(drain(b), e3);
  other.startEpoch(3);
  EXPECT_NE(drain(other), e3);
}

TEST(BatcherTest, NoShuffleKeepsDatasetOrder) {
  const rt::Dataset d = indexDataset(11);
  rt::BatcherOptions o = opts(4);
  o.shuffle = false;
  rt::Batcher b(d, o);
  EXPECT_EQ(drain(b), iota(11));
}

TEST(BatcherTest, DropLastYieldsOnlyFullBatches) {
  const rt::Dataset d = indexDataset(23);
  rt::BatcherOptions o = opts(5);
  o.dropLast = true;
  rt::Batcher b(d, o);
  std::vector<int64_t> sizes;
  const std::vector<int64_t> ids = drain(b, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>(4, 5)));
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 20u);
}

TEST(BatcherTest, ShardsAreDisjointAndCover) {
  const rt::Dataset d = indexDataset(23);
  rt::Batcher whole(d, opts(4));
  whole.startEpoch(2);
  std::vector<int64_t> concatenated;
  for (int r = 0; r < 3; ++r) {
    rt::BatcherOptions o = opts(4);
    o.rank = r;
    o.worldSize = 3;
    rt::Batcher b(d, o);
    b.startEpoch(2);
    const std::vector<int64_t> ids = drain(b);
    EXPECT_GE(ids.size(), 7u);
    EXPECT_LE(ids.size(), 8u);
    concatenated.insert(concatenated.end(), ids.begin(), ids.end());
  }
  // The ranks' slices are consecutive pieces of the one shuffled order.
  EXPECT_EQ(concatenated, whole.order());
  std::sort(concatenated.begin(), concatenated.end());
  EXPECT_EQ(concatenated, iota(23));
}

TEST(BatcherTest, ShardsWithDropLastRunEqualSteps) {
  const rt::Dataset d = indexDataset(23);
  std::set<int64_t> seen;
  for (int r = 0; r < 3; ++r) {
    rt::BatcherOptions o = opts(2);
    o.rank = r;
    o.worldSize = 3;
    o.dropLast = true;
    rt::Batcher b(d, o);
    EXPECT_EQ(b.batchesPerEpoch(), 3); // floor(23/3)=7 -> 3 full batches of 2
    for (int64_t id : drain(b))
      EXPECT_TRUE(seen.insert(id).second) << "sample " << id << " twice";
  }
  EXPECT_EQ(seen.size(), 18u);
}

TEST(BatcherTest, AugmentImageByHand) {
  // Two channels of 3×4: channel c, pixel (y, x) = 100c + 10y + x + 1.
  std::vector<float> src(24), dst(24);
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x)
        src[c * 12 + y * 4 + x] = 100 * c + 10 * y + x + 1;

  rt::augmentImage(src.data(), dst.data(), 2, 3, 4, 0, 0, 0, true);
  EXPECT_EQ(std::vector<float>(dst.begin(), dst.begin() + 4),
            (std::vector<float>{4, 3, 2, 1}));
  EXPECT_EQ(dst[12 + 4], 114); // channel 1, row 1 mirrored: x=0 <- x=3

  // pad 1, crop at (0, 0): shifts the image down-right, zeros fill in.
  rt::augmentImage(src.data(), dst.data(), 2, 3, 4, 1, 0, 0, false);
  EXPECT_EQ(std::vector<float>(dst.begin(), dst.begin() + 12),
            (std::vector<float>{0, 0, 0, 0, 0, 1, 2, 3, 0, 11, 12, 13}));

  // pad 1, crop at (2, 1) then flip: out(y,x) = in(y+1, (3-x)).
  rt::augmentImage(src.data(), dst.data(), 2, 3, 4, 1, 2, 1, true);
  EXPECT_EQ(
      std::vector<float>(dst.begin() + 12, dst.end()),
      (std::vector<float>{114, 113, 112, 111, 124, 123, 122, 121, 0, 0, 0, 0}));

  // pad 1, centre crop, no flip: the identity.
  rt::augmentImage(src.data(), dst.data(), 2, 3, 4, 1, 1, 1, false);
  EXPECT_EQ(dst, src);
}

TEST(BatcherTest, AugmentedBatchesAreValidCropsAndReproducible) {
  // One 1×4×4 image with distinct pixels, repeated.
  rt::Dataset d;
  d.channels = 1;
  d.height = d.width = 4;
  d.classes = 1;
  for (int i = 0; i < 64; ++i) {
    for (int k = 0; k < 16; ++k)
      d.images.push_back(static_cast<float>(k + 1));
    d.labels.push_back(0);
  }
  rt::BatcherOptions o = opts(16);
  o.augment.pad = 2;
  o.augment.flip = true;
  rt::Batcher b(d, o);
  std::vector<float> images(16 * 16), candidate(16);
  std::vector<int32_t> labels(16);
  std::set<std::vector<int>> used; // (dy, dx, flip) seen
  std::vector<float> epoch0;
  while (int64_t n = b.next(images.data(), labels.data())) {
    epoch0.insert(epoch0.end(), images.begin(), images.begin() + n * 16);
    for (int64_t s = 0; s < n; ++s) {
      bool matched = false;
      for (int dy = 0; dy <= 4 && !matched; ++dy)
        for (int dx = 0; dx <= 4 && !matched; ++dx)
          for (int flip = 0; flip < 2 && !matched; ++flip) {
            rt::augmentImage(d.images.data(), candidate.data(), 1, 4, 4, 2, dy,
                             dx, flip);
            if (std::equal(candidate.begin(), candidate.end(),
                           images.begin() + s * 16)) {
              matched = true;
              used.insert({dy, dx, flip});
            }
          }
      EXPECT_TRUE(matched) << "sample " << s << " is not a pad-2 crop/flip";
    }
  }
  EXPECT_GT(used.size(), 15u); // 64 draws over 50 choices: varied
  bool flipped = false, plain = false;
  for (const auto &u : used)
    (u[2] ? flipped : plain) = true;
  EXPECT_TRUE(flipped && plain);

  // Same (seed, epoch): same augmentations; seek reproduces a middle batch.
  rt::Batcher again(d, o);
  again.seek(2);
  again.next(images.data(), labels.data());
  EXPECT_TRUE(
      std::equal(images.begin(), images.end(), epoch0.begin() + 32 * 16));
  again.startEpoch(1);
  std::vector<float> epoch1;
  while (int64_t n = again.next(images.data(), labels.data()))
    epoch1.insert(epoch1.end(), images.begin(), images.begin() + n * 16);
  EXPECT_NE(epoch1, epoch0);
}

TEST(BatcherTest, RejectsBadOptions) {
  const rt::Dataset d = indexDataset(4);
  rt::BatcherOptions o = opts(0);
  EXPECT_THROW(rt::Batcher(d, o), std::runtime_error);
  o = opts(2);
  o.rank = 2;
  o.worldSize = 2;
  EXPECT_THROW(rt::Batcher(d, o), std::runtime_error);
  o = opts(2);
  o.augment.pad = -1;
  EXPECT_THROW(rt::Batcher(d, o), std::runtime_error);
  rt::Batcher b(d, opts(2));
  EXPECT_THROW(b.seek(3), std::runtime_error);
}
