#pragma once
// The tail of every BERT sublayer, QDQBERT's `LayerNorm(local(out) + residual(x))`,
// in one pass over memory instead of four (two fake-quant passes, the add,
// oneDNN's LayerNorm): each row is fake-quantized, added and normalised while
// it is in L1. The fake quant is tensor_quant.py's arithmetic, bit for bit
// (kernels::fake_quant_per_tensor's loop).
#include "core/tensor.h"

namespace qdq::kernels {

// One per-tensor fake quant: clamp(round_half_even(v * scale), lo, hi) / scale (scale 0: code / 1).
struct FakeQuantStep {
  bool on = false;  // off: the value passes unchanged (a disabled quantizer)
  float scale = 0, lo = 0, hi = 0;
};

// out [rows, C] = LayerNorm_C(fq_out(out) + fq_x(x)) * gamma + beta, in place; x unchanged.
void residual_add_layer_norm(Tensor& out, const Tensor& x, FakeQuantStep fq_out, FakeQuantStep fq_x,
                             const Tensor& gamma, const Tensor& beta, float eps);

}  // namespace qdq::kernels
