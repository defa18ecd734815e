#include "layers/quant_point.h"

#include "kernels/int8.h"

namespace qdq::layers {

using quant::QuantMode;

void quant_point(quant::TensorQuantizer& q, Tensor& x) {
  if (q.mode() != QuantMode::FakeQuant && q.mode() != QuantMode::Int8) return q.apply(x);
  check(q.has_amax(), "quantizer {} has no amax", q.name());
  const auto& d = q.desc();
  if (q.amax().size() != 1 || x.dtype() != DType::F32)
    return quant::fake_quant(x.data<float>(), x.shape(), q.amax(), d.axis, d.num_bits, d.is_unsigned,
                             d.narrow_range);
  const quant::QuantBounds b = quant::quant_bounds(d.num_bits, d.is_unsigned, d.narrow_range);
  const float scale = quant::quant_scale(q.amax()[0], b.max_bound);
  check(!(q.amax()[0] < 0.0f), "fake_quant: negative amax {}", q.amax()[0]);
  float* p = x.data<float>();
  const int64_t n = x.numel();
  if (d.is_unsigned)  // the reference raises a TypeError here
    for (int64_t i = 0; i < n; ++i) check(!(p[i] < 0.0f), "fake_quant: negative values in unsigned quantization");
  kernels::fake_quant_per_tensor(p, n, scale, b.min_bound, b.max_bound);
}

bool int8_ready(const quant::TensorQuantizer& q, bool allow_unsigned) {
  const auto& d = q.desc();
  return q.mode() == QuantMode::Int8 && q.has_amax() && q.amax().size() == 1 && d.num_bits == 8 &&
         !d.narrow_range && (allow_unsigned || !d.is_unsigned);
}

float int8_scale(const quant::TensorQuantizer& q) { return kernels::quant_scale(q.amax()[0], q.desc().is_unsigned); }

}  // namespace qdq::layers
