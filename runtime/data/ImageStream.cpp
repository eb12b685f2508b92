//===- ImageStream.cpp - JPEG files decoded on a thread pool into batches --===//
//
// Positions p = 0, 1, ... of an epoch map to order_[p mod n]. A position
// lives in slot p mod capacity; workers claim positions in increasing order
// while p < consumed + capacity (its slot is free) and p < claimLimit (no
// decoding past what the epoch can use), decode outside the lock, then
// publish the slot. The consumer takes positions strictly in order.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/ImageStream.h"

#include "runtime/Random.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace cardinal::rt {
namespace {

// Distinct from Batcher's salts: the streams are independent of it.
constexpr uint64_t kShuffleSalt = 0x494d475348554646ull; // "IMGSHUFF"
constexpr uint64_t kAugmentSalt = 0x494d474155474d54ull; // "IMGAUGMT"

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a;
  x = splitmix64(x) ^ b;
  return splitmix64(x);
}

using Clock = std::chrono::steady_clock;

double threadCpuSeconds() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

uint64_t imageSampleSeed(uint64_t seed, int64_t epoch, int64_t index) {
  return mix(mix(mix(seed, kAugmentSalt), static_cast<uint64_t>(epoch)),
             static_cast<uint64_t>(index));
}

//===----------------------------------------------------------------------===//
// SampleLoader
//===----------------------------------------------------------------------===//

SampleLoader::SampleLoader(const ImageStreamOptions &options)
    : opts_(options) {}

bool SampleLoader::load(const std::string &path, uint64_t sampleSeed,
                        float *out, std::string &error) {
  if (!readFileBytes(path, bytes_, error))
    return false;
  int width = 0, height = 0;
  if (!decoder_.readHeader(bytes_.data(), bytes_.size(), width, height, error))
    return false;
  const int size = opts_.imageSize;
  CropRegion region;
  if (opts_.train) {
    Random rng(sampleSeed);
    region = randomResizedCrop(width, height, rng, opts_.crop, true);
  } else {
    region = centerCrop(width, height, size, evalResizeFor(size));
  }
  lastDenom_ = opts_.scaledDecode ? decodeScaleFor(region, size) : 1;
  if (!decoder_.decode(lastDenom_, rgb_, error))
    return false;
  resampleNormalize(rgb_, lastDenom_, region, size, out, opts_.mean,
                    opts_.stddev);
  return true;
}

//===----------------------------------------------------------------------===//
// ImageFolderStream
//===----------------------------------------------------------------------===//

struct ImageFolderStream::Impl {
  enum class SlotState { Empty, Ready, Failed };
  struct Slot {
    std::vector<float> pixels;
    SlotState state = SlotState::Empty;
    int64_t index = 0; ///< dataset index
    std::string error;
  };

  const std::vector<ImageEntry> entries;
  const ImageStreamOptions opts;
  const int64_t sampleSize;
  const int64_t capacity;
  int nThreads = 1;

  mutable std::mutex mu;
  std::condition_variable workCv;  ///< workers: a position may be claimable
  std::condition_variable readyCv; ///< consumer and startEpoch: a slot or
                                   ///< an in-flight decode finished
  std::vector<Slot> slots;
  std::vector<std::thread> workers;

  // Guarded by mu.
  bool stop = false;
  uint64_t generation = 0;
  int64_t epoch = -1;
  std::vector<int64_t> order; ///< this rank's slice, in visiting order
  bool wrap = false;          ///< dropLast: positions wrap around the slice
  int64_t batches = 0;        ///< batchesPerEpoch
  int64_t needed = 0;         ///< samples the epoch delivers (wrap mode)
  int64_t claimLimit = 0;     ///< positions workers may claim: [0, limit)
  int64_t nextClaim = 0;      ///< next position a worker takes
  int64_t consumed = 0;       ///< next position the consumer reads
  int64_t delivered = 0;      ///< samples handed out this epoch
  int64_t runOfFailures = 0;  ///< consecutive failed positions consumed
  int inFlight = 0;           ///< decodes running (any generation)
  Clock::time_point busySince;
  LoaderStats stats;
  std::set<int64_t> warned; ///< dataset indices already warned about

  Impl(std::vector<ImageEntry> e, const ImageStreamOptions &o)
      : entries(std::move(e)), opts(o),
        sampleSize(3 * static_cast<int64_t>(o.imageSize) * o.imageSize),
        capacity(std::max(1, o.prefetchBatches) * o.batchSize) {}

  /// Fills `order` and the epoch's limits; callers hold mu, no decode runs.
  void planEpoch(int64_t e) {
    const int64_t n = static_cast<int64_t>(entries.size());
    std::vector<int64_t> all(n);
    for (int64_t i = 0; i < n; ++i)
      all[i] = i;
    if (opts.shuffle) {
      Random rng(mix(mix(opts.seed, kShuffleSalt), static_cast<uint64_t>(e)));
      for (int64_t i = n - 1; i > 0; --i)
        std::swap(all[i], all[rng.below(static_cast<uint64_t>(i) + 1)]);
    }
    const int64_t world = opts.worldSize, r = opts.rank, b = opts.batchSize;
    int64_t begin, end;
    if (opts.dropLast) {
      const int64_t per = n / world;
      begin = r * per;
      end = begin + per; // all of it: the spare ones refill skipped slots
      batches = per / b;
    } else {
      begin = r * n / world;
      end = (r + 1) * n / world;
      batches = (end - begin + b - 1) / b;
    }
    order.assign(all.begin() + begin, all.begin() + end);
    wrap = opts.dropLast;
    needed = wrap ? batches * b : static_cast<int64_t>(order.size());
    claimLimit = needed;
    epoch = e;
    nextClaim = consumed = delivered = runOfFailures = 0;
    for (Slot &s : slots)
      s.state = SlotState::Empty;
    stats = LoaderStats();
    stats.threads = nThreads;
  }

  /// Restarts at epoch `e`: cancels claims, waits out running decodes.
  void restart(std::unique_lock<std::mutex> &lock, int64_t e) {
    ++generation;
    claimLimit = 0; // nothing new is claimed until planned
    readyCv.wait(lock, [&] { return inFlight == 0; });
    planEpoch(e);
    workCv.notify_all();
  }

  bool claimable() const {
    return nextClaim < claimLimit && nextClaim < consumed + capacity;
  }

  void work() {
    SampleLoader loader(opts);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      workCv.wait(lock, [&] { return stop || claimable(); });
      if (stop)
        return;
      const int64_t pos = nextClaim++;
      const uint64_t gen = generation;
      const int64_t index = order[pos % static_cast<int64_t>(order.size())];
      const uint64_t seed = imageSampleSeed(opts.seed, epoch, index);
      Slot &slot = slots[pos % capacity];
      if (inFlight++ == 0)
        busySince = Clock::now();
      lock.unlock();

      const double cpu0 = threadCpuSeconds();
      std::string error;
      bool ok = false;
      try {
        ok = loader.load(entries[index].path, seed, slot.pixels.data(), error);
      } catch (const std::exception &e) {
        error = e.what();
      } catch (...) {
        error = "unknown error";
      }
      const double cpu = threadCpuSeconds() - cpu0;

      lock.lock();
      if (--inFlight == 0)
        stats.busySeconds += seconds(Clock::now() - busySince);
      if (gen != generation) { // a restart discarded this position
        readyCv.notify_all();
        continue;
      }
      stats.cpuSeconds += cpu;
      if (ok) {
        ++stats.images;
      } else {
        ++stats.failed;
        if (wrap)
          ++claimLimit; // one more position to make up for it
      }
      slot.index = index;
      slot.error = std::move(error);
      slot.state = ok ? SlotState::Ready : SlotState::Failed;
      readyCv.notify_all();
      if (!ok)
        workCv.notify_all();
    }
  }
};

ImageFolderStream::ImageFolderStream(std::vector<ImageEntry> entries,
                                     const ImageStreamOptions &options) {
  const ImageStreamOptions &o = options;
  if (o.batchSize < 1)
    throw std::runtime_error("ImageFolderStream: batch size must be >= 1, got " +
                             std::to_string(o.batchSize));
  if (o.worldSize < 1 || o.rank < 0 || o.rank >= o.worldSize)
    throw std::runtime_error("ImageFolderStream: rank " +
                             std::to_string(o.rank) +
                             " is not in a world of size " +
                             std::to_string(o.worldSize));
  if (o.imageSize < 1 || o.imageSize > 8192)
    throw std::runtime_error("ImageFolderStream: image size " +
                             std::to_string(o.imageSize) +
                             " out of range 1..8192");
  for (const ImageEntry &e : entries)
    if (e.label < 0)
      throw std::runtime_error("ImageFolderStream: negative label for " +
                               e.path);
  impl_ = std::make_unique<Impl>(std::move(entries), options);
  Impl &m = *impl_;
  int threads = o.threads;
  if (threads <= 0)
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  m.nThreads = threads;
  m.slots.resize(m.capacity);
  for (Impl::Slot &s : m.slots)
    s.pixels.resize(m.sampleSize);
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.planEpoch(0);
  }
  m.workers.reserve(threads);
  try {
    for (int t = 0; t < threads; ++t)
      m.workers.emplace_back([&m] { m.work(); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(m.mu);
      m.stop = true;
    }
    m.workCv.notify_all();
    for (std::thread &t : m.workers)
      t.join();
    throw;
  }
}

ImageFolderStream::~ImageFolderStream() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->workCv.notify_all();
  for (std::thread &t : impl_->workers)
    t.join();
}

int64_t ImageFolderStream::batchSize() const { return impl_->opts.batchSize; }
int64_t ImageFolderStream::imageSize() const { return impl_->sampleSize; }
int ImageFolderStream::threads() const { return impl_->nThreads; }

void ImageFolderStream::startEpoch(int64_t epoch) {
  Impl &m = *impl_;
  std::unique_lock<std::mutex> lock(m.mu);
  if (epoch == m.epoch && m.consumed == 0)
    return; // already prefetching exactly this
  m.restart(lock, epoch);
}

int64_t ImageFolderStream::batchesPerEpoch() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->batches;
}

int64_t ImageFolderStream::samplesPerEpoch() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->wrap ? impl_->needed
                     : static_cast<int64_t>(impl_->order.size());
}

std::vector<int64_t> ImageFolderStream::order() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->order;
}

LoaderStats ImageFolderStream::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  LoaderStats s = impl_->stats;
  if (impl_->inFlight > 0)
    s.busySeconds += seconds(Clock::now() - impl_->busySince);
  return s;
}

int64_t ImageFolderStream::next(float *images, int32_t *labels) {
  Impl &m = *impl_;
  std::unique_lock<std::mutex> lock(m.mu);
  const int64_t n = static_cast<int64_t>(m.order.size());
  int64_t count = 0;
  while (count < m.opts.batchSize) {
    if (m.wrap ? m.delivered == m.needed : m.consumed >= n)
      break;
    const int64_t pos = m.consumed;
    Impl::Slot &slot = m.slots[pos % m.capacity];
    if (slot.state == Impl::SlotState::Empty) {
      const Clock::time_point t0 = Clock::now();
      m.readyCv.wait(lock,
                     [&] { return slot.state != Impl::SlotState::Empty; });
      m.stats.waitSeconds += seconds(Clock::now() - t0);
    }
    if (slot.state == Impl::SlotState::Failed) {
      const std::string &path = m.entries[slot.index].path;
      if (m.warned.insert(slot.index).second)
        std::fprintf(stderr, "warning: skipping unreadable image %s: %s\n",
                     path.c_str(), slot.error.c_str());
      if (++m.runOfFailures >= n)
        throw std::runtime_error("no readable image among the " +
                                 std::to_string(n) +
                                 " files of this shard (last: " + path + ")");
    } else {
      // The slot stays ours until `consumed` moves past it: copy unlocked.
      const int64_t index = slot.index;
      lock.unlock();
      std::memcpy(images + count * m.sampleSize, slot.pixels.data(),
                  m.sampleSize * sizeof(float));
      lock.lock();
      labels[count] = m.entries[index].label;
      ++count;
      ++m.delivered;
      m.runOfFailures = 0;
    }
    slot.state = Impl::SlotState::Empty;
    ++m.consumed;
    m.workCv.notify_all();
  }
  return count;
}

} // namespace cardinal::rt
