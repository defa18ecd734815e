#pragma once
// Small tensor helpers the ProphetNet layers share (F32, row-major).
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace qdq::models::prophetnet {

// Mask value transformers adds for masked keys: torch.finfo(float32).min.
constexpr float kMaskMin = -3.4028234663852886e38f;

// [B, T, heads*d] -> [B*heads, T, d]
Tensor split_heads(const Tensor& x, int64_t heads);
// [B*heads, T, d] -> [B, T, heads*d]
Tensor merge_heads(const Tensor& x, int64_t batch);
// rows of `table` [V, H] picked by ids; Error naming `what` for an id outside [0, V).
Tensor embedding(const Tensor& table, const std::vector<int64_t>& ids, Shape out_shape, const char* what);
// In place softmax over a row of n values (max-subtracted, float as torch's CPU kernel).
void softmax_row(float* x, int64_t n);
float dot(const float* a, const float* b, int64_t n);
// y[i] += a * x[i]
void axpy(float a, const float* x, float* y, int64_t n);
// Rows [row0, row0+n) of dim 1 of a [B, R, H] tensor, copied.
Tensor slice_rows(const Tensor& x, int64_t row0, int64_t n);

}  // namespace qdq::models::prophetnet
