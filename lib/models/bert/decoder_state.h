#pragma once
// The state of a QDQBERT decoder between calls: per layer the self-attention
// KV cache (growing) and the cross-attention keys/values of the encoder output
// (fixed), the source mask, and how many tokens were decoded. Hugging Face's
// past_key_values, kept preallocated at a capacity so steps do not allocate.
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
};

}  // namespace qdq::models::bert
