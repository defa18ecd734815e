#pragma once
// Shape checks shared by the fp32 and int8 batched matmuls.
#include <oneapi/dnnl/dnnl.hpp>

#include "core/tensor.h"

namespace qdq::kernels::detail {

struct BmmShape {
  int64_t batch = 0, bbatch = 0, M = 0, K = 0, N = 0;
  Shape out;
};
// a [..., M, K]; b [..., K, N] or (transpose_b) [..., N, K]; b's batch dims
// equal a's or are all 1 (broadcast).
BmmShape bmm_shape(const Tensor& a, const Tensor& b, bool transpose_b);
dnnl::memory::desc bmm_b_desc(const BmmShape& s, bool transpose_b, dnnl::memory::data_type type);
// c (f32 [batch, M, N]) = oscale * a . op(b) through one cached oneDNN matmul
// per (shape, dtypes, transpose, scale); the scale is static so brgemm runs.
void run_bmm(const BmmShape& s, dnnl::memory::data_type at, dnnl::memory::data_type bt, bool transpose_b,
             float oscale, const Tensor& a, const Tensor& b, Tensor& c);

}  // namespace qdq::kernels::detail
