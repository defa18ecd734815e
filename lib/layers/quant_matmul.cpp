#include "layers/quant_matmul.h"

#include "kernels/int8.h"
#include "kernels/ops.h"
#include "layers/quant_point.h"

namespace qdq::layers {

Tensor quant_matmul(quant::TensorQuantizer& qa, Tensor& a, quant::TensorQuantizer& qb, Tensor& b, bool transpose_b,
                    float alpha) {
  if (int8_ready(qa, true) && int8_ready(qb, false)) {  // oneDNN has no u8 weights operand
    const bool ua = qa.desc().is_unsigned;
    const float sa = int8_scale(qa), sb = int8_scale(qb);
    Tensor aq = ua ? kernels::quantize_u8(a, sa) : kernels::quantize_s8(a, sa);
    return kernels::batched_matmul_int8(aq, sa, kernels::quantize_s8(b, sb), sb, transpose_b, alpha);
  }
  quant_point(qa, a);
  quant_point(qb, b);
  return kernels::batched_matmul(a, b, transpose_b, alpha);
}

}  // namespace qdq::layers
