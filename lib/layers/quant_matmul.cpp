#include "layers/quant_matmul.h"

#include "kernels/int8.h"
#include "kernels/ops.h"

namespace qdq::layers {

using quant::QuantMode;

namespace {

bool int8_ready(const quant::TensorQuantizer& q, bool allow_unsigned) {
  const auto& d = q.desc();
  return q.mode() == QuantMode::Int8 && q.has_amax() && q.amax().size() == 1 && d.num_bits == 8 &&
         !d.narrow_range && (allow_unsigned || !d.is_unsigned);
}

// Int8 mode outside the integer kernel: the same numbers through fake quant.
void quant_point(quant::TensorQuantizer& q, Tensor& x) {
  if (q.mode() != QuantMode::Int8) return q.apply(x);
  check(q.has_amax(), "quantizer {} has no amax", q.name());
  const auto& d = q.desc();
  quant::fake_quant(x.data<float>(), x.shape(), q.amax(), d.axis, d.num_bits, d.is_unsigned, d.narrow_range);
}

}  // namespace

Tensor quant_matmul(quant::TensorQuantizer& qa, Tensor& a, quant::TensorQuantizer& qb, Tensor& b, bool transpose_b,
                    float alpha) {
  if (int8_ready(qa, true) && int8_ready(qb, false)) {  // oneDNN has no u8 weights operand
    const bool ua = qa.desc().is_unsigned;
    const float sa = kernels::quant_scale(qa.amax()[0], ua), sb = kernels::quant_scale(qb.amax()[0], false);
    Tensor aq = ua ? kernels::quantize_u8(a, sa) : kernels::quantize_s8(a, sa);
    return kernels::batched_matmul_int8(aq, sa, kernels::quantize_s8(b, sb), sb, transpose_b, alpha);
  }
  quant_point(qa, a);
  quant_point(qb, b);
  return kernels::batched_matmul(a, b, transpose_b, alpha);
}

}  // namespace qdq::layers
