#pragma once
// Real int8 kernels on oneDNN (u8/s8 x s8 -> s32 -> f32), with
// pytorch_quantization's symmetric quantization: scale = max_bound / amax,
// q = clamp(round_half_even(x * scale)), amax <= 2^-24 quantizes to 0.
// Implementations: kernels/quantize.cpp, linear_int8.cpp, batched_matmul_int8.cpp.
#include <memory>
#include <vector>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace qdq::kernels {

// max_bound / amax for an 8-bit quantizer (127 signed, 255 unsigned); 0 when
// amax <= 2^-24, which makes every value quantize to 0 as tensor_quant.py does.
float quant_scale(float amax, bool is_unsigned);

// F32 -> I8 (or U8) with saturation and round half to even, via a oneDNN reorder.
Tensor quantize_s8(const Tensor& x, float scale);
Tensor quantize_u8(const Tensor& x, float scale);
// Same into a preallocated I8/U8 tensor with x's element count (no allocation).
void quantize_into(const Tensor& x, float scale, Tensor& q);
// I8/U8 -> F32: q / scale (0 when scale is 0). Scale 1 gives the codes themselves, exactly.
Tensor dequantize(const Tensor& q, float scale);
void dequantize_into(const Tensor& q, float scale, Tensor& x);

// tensor_quant.py's code of one value: clamp(round_half_even(x * scale), lo, hi), as a float.
// Clamping first gives the same code as rounding first (lo and hi are integers) and keeps the
// value within 2^22, where x + 1.5 * 2^23 - 1.5 * 2^23 rounds half to even (the default mode)
// without a libm call, so loops over it vectorise. NaN goes to lo, as fmax(NaN, lo) does.
inline float quant_code(float x, float scale, float lo, float hi) {
  constexpr float kMagic = 12582912.0f;
  float v = x * scale;
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return (v + kMagic) - kMagic;
}

// In place x = clamp(round_half_even(x * scale), lo, hi) / scale (x / 1 when
// scale is 0): quant::fake_quant for one per-tensor scale, vectorised and
// threaded. Identical values except that a code of 0 may come out as +0
// where the reference gives -0. Implementation: kernels/fake_quant.cpp.
void fake_quant_per_tensor(float* x, int64_t n, float scale, float lo, float hi);

// tensor_quant.py's weight codes: I8 [N, K] of an F32 [N, K] weight, per output channel (w_amax: 1
// or N values); w_narrow: codes in [-127, 127].
Tensor quantize_weight_codes(const Tensor& weight, const std::vector<float>& w_amax, bool w_narrow);

// y = act(dequant(quant(x)) . dequant(quant(W))^T + b), computed exactly in
// integers: s32 accumulation, then y = acc / (s_x * s_w[n]) + b as static
// per-channel output scales (the VNNI brgemm path) and post-ops.
class Int8Linear {
 public:
  Int8Linear();  // defined out of line: Impl is incomplete here
  // weight [N, K] F32, bias [N] or undefined; w_amax: 1 or N values (per
  // output channel, pytorch_quantization's axis 0); x_amax: the input
  // quantizer's per-tensor amax; x_unsigned: quantize the input to U8 [0, 255].
  // w_narrow: weights in [-127, 127].
  Int8Linear(const Tensor& weight, const Tensor& bias, const std::vector<float>& w_amax, float x_amax,
             bool x_unsigned = false, bool w_narrow = false);
  // The same from weights already quantized (I8 [N, K] codes, as a qdqrt int8
  // directory stores them): no float copy of the weight is ever made.
  static Int8Linear from_codes(const Tensor& codes, const Tensor& bias, const std::vector<float>& w_amax,
                               float x_amax, bool x_unsigned = false);
  ~Int8Linear();
  Int8Linear(Int8Linear&&) noexcept;
  Int8Linear& operator=(Int8Linear&&) noexcept;

  // x F32 [..., K]: quantized with input_scale() on the way in.
  Tensor forward(const Tensor& x, Activation act = Activation::None) const;
  // xq I8 (or U8 when input_unsigned()) [..., K], already quantized with input_scale():
  // lets a model keep activations int8 between ops.
  Tensor forward_quantized(const Tensor& xq, Activation act = Activation::None) const;

  // The output quantized in the same primitive, for a consumer that takes
  // int8 (the next Linear's input or an attention product): I8, or U8 when
  // out_unsigned, q = saturate(round_half_even(act(y) * out_scale)). x is F32
  // or already quantized (I8/U8 as forward_quantized takes).
  Tensor forward_requantized(const Tensor& x, Activation act, float out_scale, bool out_unsigned = false) const;

  bool defined() const { return impl_ != nullptr; }
  float input_scale() const { return x_scale_; }
  bool input_unsigned() const { return x_unsigned_; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  Tensor quantized_input(const Tensor& x) const;
  // Bias, output scales and the weights' reorder from I8 codes [N, K].
  void init(const Tensor& codes, const Tensor& bias, const std::vector<float>& w_amax, float x_amax, bool x_unsigned);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t in_ = 0, out_ = 0;
  float x_scale_ = 0.0f;
  bool x_unsigned_ = false;
};

// C = alpha * dequant(A) . op(dequant(B)) with A I8/U8 quantized with scale_a
// and B I8 with scale_b; shapes as batched_matmul. F32 result.
Tensor batched_matmul_int8(const Tensor& a, float scale_a, const Tensor& b, float scale_b, bool transpose_b,
                           float alpha = 1.0f);

// The attention products on quantized operands: kernels/attention.h.

}  // namespace qdq::kernels
