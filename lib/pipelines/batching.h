#pragma once
// Length-sorted batching. Inputs are sorted by length (stable, so equal
// lengths keep input order) and cut into batches, so each batch pads only to
// its longest member; results are put back in input order by the caller
// (batch[k] = the input indices of batch k). Outputs never depend on this
// grouping: the models mask padding and every input's random stream is its own.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qdq::pipelines {

// `same_length_only`: a batch holds inputs of one length only (a causal LM
// prompt batch must be unpadded).
std::vector<std::vector<size_t>> length_sorted_batches(const std::vector<int64_t>& lengths, int64_t batch_size,
                                                       bool same_length_only = false);

}  // namespace qdq::pipelines
