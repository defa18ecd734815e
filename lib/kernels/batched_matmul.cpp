// Attention's batched products on oneDNN matmul. B^T is expressed through
// strides (no transpose copy); alpha is a static output scale, so it costs
// nothing and keeps the primitive on the brgemm path.
#include "kernels/batched_matmul_util.h"
#include "kernels/cpu.h"
#include "kernels/engine.h"
#include "kernels/fixed_order_matmul.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;

namespace detail {

BmmShape bmm_shape(const Tensor& a, const Tensor& b, bool transpose_b) {
  check(a.ndim() >= 3 && b.ndim() == a.ndim(), "batched_matmul: operands {} and {} must both be >= 3-D",
        shape_str(a.shape()), shape_str(b.shape()));
  BmmShape s;
  s.M = a.dim(-2);
  s.K = a.dim(-1);
  s.N = transpose_b ? b.dim(-2) : b.dim(-1);
  const int64_t bk = transpose_b ? b.dim(-1) : b.dim(-2);
  check(bk == s.K, "batched_matmul: inner dimensions differ: {} and {}{}", shape_str(a.shape()),
        shape_str(b.shape()), transpose_b ? " (transposed)" : "");
  s.batch = a.numel() / std::max<int64_t>(1, s.M * s.K);
  s.bbatch = b.numel() / std::max<int64_t>(1, s.N * s.K);
  for (int i = 0; i < a.ndim() - 2; ++i)
    check(a.dim(i) == b.dim(i) || b.dim(i) == 1, "batched_matmul: batch dims of {} and {} differ",
          shape_str(a.shape()), shape_str(b.shape()));
  // Only a fully broadcast b (all batch dims 1) or a full b is supported.
  check(s.bbatch == s.batch || s.bbatch == 1, "batched_matmul: partial broadcast of {} is unsupported",
        shape_str(b.shape()));
  s.out = a.shape();
  s.out.back() = s.N;
  return s;
}

memory::desc bmm_b_desc(const BmmShape& s, bool transpose_b, dt type) {
  if (transpose_b) return memory::desc({s.bbatch, s.K, s.N}, type, memory::dims{s.N * s.K, 1, s.K});
  return memory::desc({s.bbatch, s.K, s.N}, type, memory::dims{s.N * s.K, s.N, 1});
}

void run_bmm(const BmmShape& s, dt at, dt bt, bool transpose_b, float oscale, const Tensor& a, const Tensor& b,
             Tensor& c) {
  if (at == dt::f32 && bt == dt::f32 && !cpu_has_brgemm()) {  // sums in a batch-independent order
    const int64_t wb = s.bbatch == 1 ? 0 : s.K * s.N;
    const Strided w = transpose_b ? Strided{b.data<float>(), wb, 0, 1, s.K} : Strided{b.data<float>(), wb, 0, s.N, 1};
    fixed_order_matmul(s.batch, 1, s.M, s.N, s.K, Strided{a.data<float>(), s.M * s.K, 0, s.K, 1}, w, oscale,
                       Strided{nullptr, 0, 0, 0, 0}, c.data<float>(), s.M * s.N, 0, s.N);
    return;
  }
  static ShapeCache<Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  Key key{s.batch, s.bbatch, s.M, s.K, s.N, transpose_b * 256 + static_cast<int64_t>(at) * 16 + static_cast<int64_t>(bt),
          float_bits(oscale), 0};
  auto& p = cache.get(key, [&] {
    memory::desc ad({s.batch, s.M, s.K}, at, memory::format_tag::abc);
    memory::desc bd = bmm_b_desc(s, transpose_b, bt);
    memory::desc cd({s.batch, s.M, s.N}, dt::f32, memory::format_tag::abc);
    dnnl::primitive_attr attr = matmul_attr();
    if (oscale != 1.0f) attr.set_output_scales(0, {oscale});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), attr, engine());
    auto& eng = engine();
    return Prim{dnnl::matmul(pd),
                {{DNNL_ARG_SRC, memory(ad, eng, nullptr)},
                 {DNNL_ARG_WEIGHTS, memory(bd, eng, nullptr)},
                 {DNNL_ARG_DST, memory(cd, eng, nullptr)}}};
  });
  p.set(DNNL_ARG_SRC, a.raw());
  p.set(DNNL_ARG_WEIGHTS, b.raw());
  p.set(DNNL_ARG_DST, c.raw());
  p.run();
}

}  // namespace detail

Tensor batched_matmul(const Tensor& a, const Tensor& b, bool transpose_b, float alpha) {
  detail::require_f32(a, "batched_matmul a");
  detail::require_f32(b, "batched_matmul b");
  const auto s = detail::bmm_shape(a, b, transpose_b);
  Tensor c = detail::uninit(DType::F32, s.out);
  if (c.numel() == 0) return c;
  detail::run_bmm(s, dt::f32, dt::f32, transpose_b, alpha, a, b, c);
  return c;
}

}  // namespace qdq::kernels
