// Int8 attention products: A (s8/u8) x B (s8, plain or transposed through
// strides) -> f32 with one static output scale alpha / (s_a * s_b).
#include "kernels/batched_matmul_util.h"
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
  const dt at = a.dtype() == DType::I8 ? dt::s8 : dt::u8;
  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  detail::Key key{s.batch, s.bbatch, s.M, s.K, s.N, transpose_b * 2 + (at == dt::u8), detail::float_bits(oscale), 0};
  auto& p = cache.get(key, [&] {
    memory::desc ad({s.batch, s.M, s.K}, at, memory::format_tag::abc);
    memory::desc bd = detail::bmm_b_desc(s, transpose_b, dt::s8);
    memory::desc cd({s.batch, s.M, s.N}, dt::f32, memory::format_tag::abc);
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {oscale});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), attr, detail::engine());
    auto& eng = detail::engine();
    return detail::Prim{dnnl::matmul(pd),
                        {{DNNL_ARG_SRC, memory(ad, eng, nullptr)},
                         {DNNL_ARG_WEIGHTS, memory(bd, eng, nullptr)},
                         {DNNL_ARG_DST, memory(cd, eng, nullptr)}}};
  });
  p.set(DNNL_ARG_SRC, a.raw());
  p.set(DNNL_ARG_WEIGHTS, b.raw());
  p.set(DNNL_ARG_DST, c.raw());
  p.run();
  return c;
}

}  // namespace qdq::kernels
