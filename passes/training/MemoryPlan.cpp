//===- MemoryPlan.cpp - --nn-memory-plan -----------------------------------===//
//
// Intervals are op positions in the straight-line schedule: a value is live
// from the op that defines it to its last use (results the function returns
// live to the end). First fit over a free list ordered by offset, 64-byte
// aligned; greedy but deterministic, and typically well under the no-reuse
// total because backward ops release forward activations as they go.
//
//===----------------------------------------------------------------------===//
#include "passes/training/TrainingPasses.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace cardinal {
#define GEN_PASS_DEF_MEMORYPLAN
#include "passes/training/TrainingPasses.h.inc"
} // namespace cardinal

using namespace mlir;
namespace nn = cardinal::nn;

namespace {

int64_t bytesOf(Type t) {
  auto tensor = cast<RankedTensorType>(t);
  int64_t bits = tensor.getElementType().getIntOrFloatBitWidth();
  int64_t bytes = tensor.getNumElements() * ((bits + 7) / 8);
  return (bytes + 63) / 64 * 64;
}

// Values that live outside the arena.
bool persistent(Operation *op) {
  return isa<nn::ParamOp, nn::StateOp, nn::InputOp>(op);
}

struct Allocator {
  std::map<int64_t, int64_t> freeBlocks; // offset -> size
  int64_t top = 0;

  int64_t allocate(int64_t size) {
    for (auto it = freeBlocks.begin(); it != freeBlocks.end(); ++it)
      if (it->second >= size) {
        int64_t offset = it->first, rest = it->second - size;
        freeBlocks.erase(it);
        if (rest)
          freeBlocks[offset + size] = rest;
        return offset;
      }
    // Grow, reusing a free block that ends at the top.
    if (!freeBlocks.empty()) {
      auto last = std::prev(freeBlocks.end());
      if (last->first + last->second == top) {
        int64_t offset = last->first;
        freeBlocks.erase(last);
        top = offset + size;
        return offset;
      }
    }
    int64_t offset = top;
    top += size;
    return offset;
  }
  void release(int64_t offset, int64_t size) {
    auto it = freeBlocks.emplace(offset, size).first;
    auto next = std::next(it);
    if (next != freeBlocks.end() && it->first + it->second == next->first) {
      it->second += next->second;
      freeBlocks.erase(next);
    }
    if (it != freeBlocks.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        freeBlocks.erase(it);
      }
    }
  }
};

struct MemoryPlanPass : public cardinal::impl::MemoryPlanBase<MemoryPlanPass> {
  using MemoryPlanBase::MemoryPlanBase;

  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      Block &body = f.getBody().front();
      if (llvm::any_of(body, [](Operation &op) { return op.getNumRegions(); })) {
        f.emitError() << "nn-memory-plan: lower nn.aggregate first";
        return signalPassFailure();
      }
      DenseMap<Operation *, int64_t> position;
      int64_t i = 0;
      for (Operation &op : body)
        position[&op] = i++;
      int64_t end = i;
      DenseMap<Value, int64_t> lastUse;
      for (Operation &op : body)
        for (Value v : op.getResults()) {
          int64_t last = position[&op];
          for (Operation *user : v.getUsers())
            last = std::max(last, isa<func::ReturnOp>(user) ? end
                                                            : position[user]);
          lastUse[v] = last;
        }
      // Releases happen after the op at `last` has run.
      std::multimap<int64_t, std::pair<int64_t, int64_t>> releases;
      Allocator alloc;
      int64_t unplanned = 0;
      OpBuilder b(f);
      for (Operation &op : body) {
        int64_t now = position[&op];
        if (op.getNumResults() && !persistent(&op)) {
          SmallVector<int64_t> offsets;
          for (Value v : op.getResults()) {
            int64_t size = bytesOf(v.getType());
            int64_t offset = alloc.allocate(size);
            unplanned += size;
            offsets.push_back(offset);
            releases.emplace(lastUse[v], std::make_pair(offset, size));
          }
          op.setAttr("nn.offset", b.getDenseI64ArrayAttr(offsets));
        }
        auto [lo, hi] = releases.equal_range(now);
        for (auto it = lo; it != hi; ++it)
          alloc.release(it->second.first, it->second.second);
        releases.erase(lo, hi);
      }
      f->setAttr("nn.arena_bytes", b.getI64IntegerAttr(alloc.top));
      f->setAttr("nn.unplanned_bytes", b.getI64IntegerAttr(unplanned));
      if (report)
        llvm::outs() << "memory plan " << f.getName() << ": peak "
                     << alloc.top << " bytes (without reuse " << unplanned
                     << ")\n";
    }
  }
};

} // namespace
