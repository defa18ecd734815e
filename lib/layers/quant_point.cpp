#include "layers/quant_point.h"

#include "kernels/int8.h"

namespace qdq::layers {

using quant::QuantMode;

void quant_point(quant::TensorQuantizer& q, Tensor& x) {
  // A quant point with no int8 kernel behind it (the residual adds) keeps fake-quant numerics in Int8 mode.
  if (q.mode() != QuantMode::Int8) return q.apply(x);
  check(q.has_amax(), "quantizer {} has no amax", q.name());
  const auto& d = q.desc();
  quant::fake_quant(x.data<float>(), x.shape(), q.amax(), d.axis, d.num_bits, d.is_unsigned, d.narrow_range);
}

bool int8_ready(const quant::TensorQuantizer& q, bool allow_unsigned) {
  const auto& d = q.desc();
  return q.mode() == QuantMode::Int8 && q.has_amax() && q.amax().size() == 1 && d.num_bits == 8 &&
         !d.narrow_range && (allow_unsigned || !d.is_unsigned);
}

float int8_scale(const quant::TensorQuantizer& q) { return kernels::quant_scale(q.amax()[0], q.desc().is_unsigned); }

}  // namespace qdq::layers
