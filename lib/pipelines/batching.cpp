#include "pipelines/batching.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace qdq::pipelines {

std::vector<std::vector<size_t>> length_sorted_batches(const std::vector<int64_t>& lengths, int64_t batch_size,
                                                       bool same_length_only) {
  check(batch_size >= 1, "batch size must be at least 1, got {}", batch_size);
  std::vector<size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::vector<size_t>> out;
  for (size_t i : order) {
    if (out.empty() || static_cast<int64_t>(out.back().size()) >= batch_size ||
        (same_length_only && lengths[out.back().front()] != lengths[i]))
      out.emplace_back();
    out.back().push_back(i);
  }
  return out;
}

}  // namespace qdq::pipelines
