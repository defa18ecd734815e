#pragma once
// One activation quant point (matmul inputs, residual-add inputs) applied as
// pytorch_quantization applies it, fast for the common case.
#include <string>

#include "core/tensor.h"
#include <optional>

#include "kernels/residual_norm.h"
#include "quant/tensor_quantizer.h"

namespace qdq::layers {

// FakeQuant, and Int8 where no integer kernel consumes x: x is fake-quantized
// in place (Int8 mode's TensorQuantizer::apply leaves x alone because int8
// kernels read amax themselves; here the same numbers come from fake quant).
// Per-tensor amax uses kernels::fake_quant_per_tensor, threaded and
// vectorised; other descriptors quant::fake_quant. Other modes: q.apply(x).
void quant_point(quant::TensorQuantizer& q, Tensor& x);

// The Int8 kernels' view of q: true when it is in Int8 mode with one 8-bit
// per-tensor amax and no narrow range (allow_unsigned: U8 is acceptable).
bool int8_ready(const quant::TensorQuantizer& q, bool allow_unsigned = true);
// Why int8_ready(q, allow_unsigned) is false, for the plan ("" when it is true).
std::string int8_blocker(const quant::TensorQuantizer& q, bool allow_unsigned = true);
// kernels::quant_scale for q's amax (valid when int8_ready(q)).
float int8_scale(const quant::TensorQuantizer& q);

// What a fused kernel may do in place of quant_point(q, x): pass x through (disabled) or one
// per-tensor signed fake quant (FakeQuant, or Int8 where no integer kernel consumes x). Empty when
// q must run itself: calibrating, tapped (compare), per channel or unsigned (which checks its input).
std::optional<kernels::FakeQuantStep> fused_fake_quant_step(const quant::TensorQuantizer& q);

}  // namespace qdq::layers
