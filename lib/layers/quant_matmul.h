#pragma once
// A torch.matmul between two quantized activations, as QDQBERT's attention
// does it: matmul(qa(a), qb(b)) (b transposed on request), times alpha. With
// both quantizers in Int8 mode it runs the integer kernel
// (kernels::batched_matmul_int8); otherwise each quantizer acts per its mode
// and the product is fp32.
#include "core/tensor.h"
#include "quant/tensor_quantizer.h"

namespace qdq::layers {

// a, b: the caller's scratch tensors in F32 (shapes as kernels::batched_matmul);
// in FakeQuant mode they are fake-quantized in place, as the quantizer's
// apply() does. alpha multiplies the product after quantization.
Tensor quant_matmul(quant::TensorQuantizer& qa, Tensor& a, quant::TensorQuantizer& qb, Tensor& b, bool transpose_b,
                    float alpha = 1.0f);

}  // namespace qdq::layers
