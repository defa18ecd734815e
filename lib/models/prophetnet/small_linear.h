#pragma once
// QuantLinear::forward with a fast path for the decoding step: in fp32 (both
// quantizers disabled) and at most kernels::kGemvMaxRows rows, the product
// streams the plain checkpoint weight through kernels::gemv_f32 instead of a
// oneDNN matmul built for large M. Everything else goes to QuantLinear.
#include "layers/quant_linear.h"

namespace qdq::models::prophetnet {

Tensor linear(layers::QuantLinear& l, const Tensor& x, kernels::Activation act = kernels::Activation::None);

}  // namespace qdq::models::prophetnet
