#include "core/big_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <new>

namespace qdq {

namespace {

constexpr size_t kHuge = size_t{2} << 20, kPage = size_t{4} << 10;
// Freed blocks kept for reuse, at most this many bytes (beyond: the largest are unmapped). Length-
// sorted batches change sizes batch by batch, so the pool must not grow with every new size; 64 MB
// holds a bert-base batch of 8 x 128's activations (256 MB added 200 MB to `compare`'s peak).
constexpr size_t kPoolLimit = size_t{64} << 20;

struct Pool {
  std::mutex mu;
  std::multimap<size_t, void*> free;  // rounded size -> block
  size_t pooled = 0;
};

Pool& pool() {
  static auto* p = new Pool;  // never destroyed: tensors may outlive static destruction
  return *p;
}

void* map_block(size_t size) {
  // Over-map by 2 MB to align the block, then return the unaligned head and tail.
  void* raw = mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (base + kHuge - 1) & ~(kHuge - 1);
  if (aligned > base) munmap(raw, aligned - base);
  const uintptr_t end = base + size + kHuge, block_end = aligned + size;
  if (end > block_end) munmap(reinterpret_cast<void*>(block_end), end - block_end);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice only: a kernel without THP ignores or refuses it
  return p;
}

void release(void* p, size_t size) {
  Pool& pl = pool();
  std::lock_guard<std::mutex> lock(pl.mu);
  pl.free.emplace(size, p);
  pl.pooled += size;
  while (pl.pooled > kPoolLimit && !pl.free.empty()) {
    auto it = std::prev(pl.free.end());  // the largest block goes first
    munmap(it->second, it->first);
    pl.pooled -= it->first;
    pl.free.erase(it);
  }
}

}  // namespace

std::shared_ptr<void> big_buffer(size_t bytes) {
  if (bytes < kBigBufferMin) {
    void* p = std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64));
    if (!p) throw std::bad_alloc();
    return std::shared_ptr<void>(p, std::free);
  }
  // Whole 4 KB pages, not 2 MB: the kernel backs each aligned 2 MB of the block with a huge page
  // and the tail with small ones, so no partly used huge page is ever faulted in.
  const size_t size = (bytes + kPage - 1) / kPage * kPage;
  void* p = nullptr;
  size_t taken = size;
  {
    Pool& pl = pool();
    std::lock_guard<std::mutex> lock(pl.mu);
    // The smallest free block that holds `size`, unless it is more than twice that (activations
    // repeat batch after batch at the same or similar sizes).
    auto it = pl.free.lower_bound(size);
    if (it != pl.free.end() && it->first <= 2 * size) {
      p = it->second;
      pl.pooled -= it->first;
      taken = it->first;
      pl.free.erase(it);
    }
  }
  if (!p) p = map_block(size);
  return std::shared_ptr<void>(p, [taken](void* q) { release(q, taken); });
}

}  // namespace qdq
