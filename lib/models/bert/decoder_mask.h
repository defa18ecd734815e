#pragma once
// Hugging Face's get_extended_attention_mask for decoders (is_decoder): the
// causal mask over past + new tokens times the padding mask, as an additive
// mask (0 kept, finfo(float32).min masked).
#include <cstdint>
#include <vector>

namespace qdq::models::bert {

// mask [B*(past+T)] (1 real, 0 padding) or empty (all real). Returns [B, T, past+T]: query i (at
// position past+i) sees key j when j <= past+i and mask[b, j] is 1.
std::vector<float> decoder_self_mask(const std::vector<int64_t>& mask, int64_t B, int64_t T, int64_t past);

}  // namespace qdq::models::bert
