#pragma once
// Reading the integer inputs of a forward (input_ids, masks, labels).
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace qdq::models::prophetnet {

struct IdBatch {
  std::vector<int64_t> v;
  int64_t B = 0, T = 0;
};
// A [B, T] integer tensor `name` (Error when missing, not 2-D or not integer).
IdBatch read_ids(const TensorMap& in, const std::string& name);
// Same, optional: empty when absent; shape must be [B, T] when present.
std::vector<int64_t> read_optional(const TensorMap& in, const std::string& name, int64_t B, int64_t T);
// transformers' _shift_right: start token first, labels shifted, -100 -> pad.
std::vector<int64_t> shift_right(const IdBatch& labels, int64_t start, int64_t pad);
Tensor scalar(float v);

}  // namespace qdq::models::prophetnet
