#pragma once
// The state of a QDQBERT decoder between calls: per layer the self-attention
// KV cache (growing) and the cross-attention keys/values of the encoder output
// (fixed), the source mask, and how many tokens were decoded. Hugging Face's
// past_key_values, kept preallocated at a capacity so steps do not allocate.
#include <algorithm>
#include <vector>

#include "models/bert/attention.h"
#include "models/generative.h"

namespace qdq::models::bert {

struct BertDecoderState : DecoderState {
  int64_t capacity = 0;
  int64_t src_len = 0;                // encoder tokens (cross-attention), 0 without
  std::vector<KVCache> self, cross;   // per layer
  std::vector<float> enc_mask_add;    // [B, src_len] additive, or empty (nothing masked)
  int64_t length() const { return self.empty() ? 0 : self.front().length; }
  // Beam rows permute among the beams of one source, so the cross-attention state stays.
  void reorder(const std::vector<int64_t>& idx) override {
    for (auto& kv : self) kv.reorder(idx);
  }
  // One length for every row (the cache is rectangular): speculative decoding runs one row per state.
  void truncate(const std::vector<int64_t>& lengths) override {
    check(!lengths.empty() && std::all_of(lengths.begin(), lengths.end(), [&](int64_t l) { return l == lengths[0]; }),
          "QDQBERT decoder: rows of one state cannot keep different lengths");
    check(lengths[0] >= 0 && lengths[0] <= length(), "QDQBERT decoder: cannot grow to {} tokens by truncation",
          lengths[0]);
    for (auto& kv : self) kv.length = lengths[0];
  }
};

}  // namespace qdq::models::bert
