#pragma once
// Large buffers (activations, reordered weights) on transparent huge pages.
// On this kind of machine (a VM) a 4 KB page fault costs 10-20 us: the first
// batch of a process wrote its fresh activations at a fraction of the speed of
// later ones (a 6 MB attention-scores tensor: 27-46 ms of faults for a 0.3 ms
// matmul), and loading faulted every page of every reordered weight. Blocks of
// at least kBigBufferMin bytes are mapped 2 MB-aligned with MADV_HUGEPAGE (one
// fault per 2 MB where the kernel grants huge pages, as Debian's default
// "madvise" THP mode does; the tail past the last 2 MB uses 4 KB pages) and
// kept in a size-keyed pool when freed, so later
// batches reuse pages already faulted in. Elsewhere the pages are just 4 KB.
#include <cstddef>
#include <memory>

namespace qdq {

constexpr size_t kBigBufferMin = size_t{1} << 20;

// At least `bytes`, 64-byte aligned (2 MB for big blocks); freed by the deleter of the returned holder.
std::shared_ptr<void> big_buffer(size_t bytes);

}  // namespace qdq
