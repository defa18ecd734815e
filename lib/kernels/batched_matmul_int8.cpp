// Int8 attention products: A (s8/u8) x B (s8, plain or transposed through
// strides) -> f32 with one static output scale alpha / (s_a * s_b).
#include "kernels/batched_matmul_util.h"
#include "kernels/cpu.h"
#include "kernels/engine.h"
#include "kernels/int8.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;

Tensor batched_matmul_int8(const Tensor& a, float scale_a, const Tensor& b, float scale_b, bool transpose_b,
                           float alpha) {
  check(a.dtype() == DType::I8 || a.dtype() == DType::U8, "batched_matmul_int8: a must be I8 or U8, got {}",
        dtype_name(a.dtype()));
  check(b.dtype() == DType::I8, "batched_matmul_int8: b must be I8, got {}", dtype_name(b.dtype()));
  const auto s = detail::bmm_shape(a, b, transpose_b);
  Tensor c = detail::uninit(DType::F32, s.out);
  if (c.numel() == 0) return c;
  const float oscale = (scale_a == 0.0f || scale_b == 0.0f) ? 0.0f : alpha / (scale_a * scale_b);
  if (!cpu_has_vnni()) {  // the codes as f32: exact sums (kernels/cpu.h)
    detail::run_bmm(s, dt::f32, dt::f32, transpose_b, oscale, dequantize(a, 1.0f), dequantize(b, 1.0f), c);
    return c;
  }
  const dt at = a.dtype() == DType::I8 ? dt::s8 : dt::u8;
  detail::run_bmm(s, at, dt::s8, transpose_b, oscale, a, b, c);
  return c;
}

}  // namespace qdq::kernels
