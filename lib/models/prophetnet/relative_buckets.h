#pragma once
// transformers' compute_relative_buckets, unidirectional (the decoder's case):
// n = max(query_pos - key_pos, 0); n < num_buckets/2 is its own bucket, larger
// distances share log-spaced buckets up to max_distance, capped at num_buckets-1.
// Computed in float32 as torch does, so the truncation lands on the same bucket.
#include <cstdint>

namespace qdq::models::prophetnet {

int64_t relative_bucket(int64_t query_minus_key, int64_t num_buckets, int64_t max_distance);

}  // namespace qdq::models::prophetnet
