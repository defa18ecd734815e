#pragma once
// One quant point of the forward (matmul inputs, residual-add inputs).
#include "core/tensor.h"
#include "quant/tensor_quantizer.h"

namespace qdq::models::bert {

// In Int8 mode TensorQuantizer::apply leaves x alone because int8 kernels read
// amax themselves; the attention matmuls and residual adds have no int8 kernel
// here, so they fake-quantize instead (elementwise, cheap), which keeps int8
// numerics those of pytorch_quantization at these points.
inline void quant_point(quant::TensorQuantizer& q, Tensor& x) {
  if (q.mode() == quant::QuantMode::Int8 && q.has_amax()) {
    const auto& d = q.desc();
    quant::fake_quant(x.data<float>(), x.shape(), q.amax(), d.axis, d.num_bits, d.is_unsigned, d.narrow_range);
    return;
  }
  q.apply(x);
}

}  // namespace qdq::models::bert
