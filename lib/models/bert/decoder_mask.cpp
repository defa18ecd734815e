#include "models/bert/decoder_mask.h"

#include <limits>

#include "core/error.h"

namespace qdq::models::bert {

std::vector<float> decoder_self_mask(const std::vector<int64_t>& mask, int64_t B, int64_t T, int64_t past) {
  const int64_t Tk = past + T;
  check(mask.empty() || static_cast<int64_t>(mask.size()) == B * Tk,
        "input 'attention_mask' has {} values, expected [{}, {}] (past + new tokens)", mask.size(), B, Tk);
  // (1 - causal * mask) * finfo.min: a kept entry adds 0, a masked one finfo.min.
  const float lowest = std::numeric_limits<float>::lowest();
  std::vector<float> out(B * T * Tk);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = 0; j < Tk; ++j) {
        const bool keep = j <= past + i && (mask.empty() || mask[b * Tk + j] != 0);
        out[(b * T + i) * Tk + j] = keep ? 0.0f : lowest;
      }
  return out;
}

}  // namespace qdq::models::bert
