#include "models/generative.h"

#include <algorithm>
#include <cstring>

namespace qdq::models {

void DecoderState::truncate(const std::vector<int64_t>&) {
  throw Error("generate: this model's decoder state cannot take back fed tokens (no speculative decoding)");
}

Generative::Extended Generative::extend(DecoderState&, const std::vector<int64_t>&, int64_t, bool) {
  throw Error("generate: this model has no multi-token cached forward (no speculative decoding)");
}

void reorder_rows(Tensor& t, Tensor& spare, const std::vector<int64_t>& idx, int64_t blocks, int64_t block,
                  int64_t used) {
  const int64_t rows = static_cast<int64_t>(idx.size());
  if (rows == 0 || !t.defined()) return;
  bool identity = true;
  for (int64_t i = 0; i < rows; ++i) identity = identity && idx[i] == i;
  if (identity) return;  // finished beams keep their rows: nothing moves
  check(t.numel() == rows * blocks * block && used <= block, "decoder cache: reorder of {} rows over {}", rows,
        shape_str(t.shape()));
  if (!spare.defined() || spare.shape() != t.shape() || spare.dtype() != t.dtype())
    spare = Tensor(t.dtype(), t.shape());
  const size_t es = dtype_size(t.dtype());
  const auto* src = static_cast<const char*>(t.raw());
  auto* dst = static_cast<char*>(spare.raw());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t b = 0; b < blocks; ++b)
      std::memcpy(dst + ((i * blocks + b) * block) * es, src + ((idx[i] * blocks + b) * block) * es, used * es);
  std::swap(t, spare);
}

}  // namespace qdq::models
