// f32 <-> int8 conversions. The oneDNN reorder multiplies by the scale in f32,
// rounds per MXCSR (half to even, like torch.round) and saturates: the same
// arithmetic as tensor_quant.py.
#include <cmath>

#include "kernels/engine.h"
#include "kernels/int8.h"

namespace qdq::kernels {

using dnnl::memory;

float quant_scale(float amax, bool is_unsigned) {
  check(std::isfinite(amax) && amax >= 0.0f, "quantizer amax {} is not a finite non-negative value", amax);
  if (amax <= 1.0f / (1 << 24)) return 0.0f;
  return (is_unsigned ? 255.0f : 127.0f) / amax;
}

namespace {

memory::data_type int8_type(const Tensor& q) {
  check(q.dtype() == DType::I8 || q.dtype() == DType::U8, "expected an I8 or U8 tensor, got {}",
        dtype_name(q.dtype()));
  return q.dtype() == DType::I8 ? memory::data_type::s8 : memory::data_type::u8;
}

// One reorder primitive per (element count, direction, type, scale).
void run_reorder(const void* src, memory::data_type st, void* dst, memory::data_type dt, int64_t n, float scale) {
  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  detail::Key key{n, static_cast<int64_t>(st), static_cast<int64_t>(dt), detail::float_bits(scale)};
  auto& p = cache.get(key, [&] {
    auto& eng = detail::engine();
    memory s({{n}, st, memory::format_tag::a}, eng, nullptr);
    memory d({{n}, dt, memory::format_tag::a}, eng, nullptr);
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {scale});
    dnnl::reorder::primitive_desc pd(s, d, attr);
    return detail::Prim{dnnl::reorder(pd), {{DNNL_ARG_FROM, s}, {DNNL_ARG_TO, d}}};
  });
  p.set(DNNL_ARG_FROM, src);
  p.set(DNNL_ARG_TO, dst);
  p.run();
}

}  // namespace

void quantize_into(const Tensor& x, float scale, Tensor& q) {
  detail::require_f32(x, "quantize input");
  const auto dt = int8_type(q);
  check(q.numel() == x.numel(), "quantize: {} values into {}", x.numel(), q.numel());
  if (x.numel() == 0) return;
  if (x.numel() <= (1 << 15)) {
    // A decoding step's few rows: on this thread (a reorder is a parallel region, and each costs a
    // wake-up under OMP_WAIT_POLICY=passive, 85 per prophetnet-large step). quant_code is the
    // reorder's arithmetic (x * scale in f32, round half to even, saturate; NaN to the lowest code).
    const float* xs = x.data<float>();
    const int64_t n = x.numel();
    if (dt == memory::data_type::s8) {
      int8_t* o = q.data<int8_t>();
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<int8_t>(quant_code(xs[i], scale, -128.0f, 127.0f));
    } else {
      uint8_t* o = q.data<uint8_t>();
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<uint8_t>(quant_code(xs[i], scale, 0.0f, 255.0f));
    }
    return;
  }
  run_reorder(x.raw(), memory::data_type::f32, q.raw(), dt, x.numel(), scale);
}

Tensor quantize_s8(const Tensor& x, float scale) {
  Tensor q = detail::uninit(DType::I8, x.shape());
  quantize_into(x, scale, q);
  return q;
}

Tensor quantize_u8(const Tensor& x, float scale) {
  Tensor q = detail::uninit(DType::U8, x.shape());
  quantize_into(x, scale, q);
  return q;
}

void dequantize_into(const Tensor& q, float scale, Tensor& x) {
  const auto st = int8_type(q);
  detail::require_f32(x, "dequantize output");
  check(q.numel() == x.numel(), "dequantize: {} values into {}", q.numel(), x.numel());
  if (q.numel() == 0) return;
  run_reorder(q.raw(), st, x.raw(), memory::data_type::f32, q.numel(), scale == 0.0f ? 0.0f : 1.0f / scale);
}

Tensor dequantize(const Tensor& q, float scale) {
  Tensor x = detail::uninit(DType::F32, q.shape());
  dequantize_into(q, scale, x);
  return x;
}

}  // namespace qdq::kernels
