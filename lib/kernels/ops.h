#pragma once
// fp32 kernels on oneDNN. Every function takes row-major contiguous tensors.
// Primitives are cached by shape (detail::ShapeCache in kernels/engine.h), weights are
// reordered once when a Linear is built. Implementations: kernels/*.cpp.
// int8 kernels: kernels/int8.h. Calls are serialised per primitive cache
// (a mutex); parallelism is inside oneDNN, with OpenMP's thread count.
#include <memory>

#include "core/tensor.h"

namespace qdq::kernels {

enum class Activation { None, GeluErf, GeluTanh, Relu, Silu, Tanh };
// Hugging Face ACT2FN names: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish, tanh.
Activation activation_from_name(const std::string& hf_name);

// The arithmetic of a float GEMM. Bf16: weights stored and activations rounded
// to bfloat16 (round to nearest even), products accumulated in f32, output f32
// (oneDNN's avx512_core_bf16 kernels: about twice the fp32 rate).
enum class FloatMath { Fp32, Bf16 };
// True when the CPU runs bf16 GEMMs natively (AVX-512 BF16 or AMX); elsewhere
// oneDNN would emulate them more slowly than fp32, so bf16 is refused.
bool cpu_has_bf16();
// The ISA oneDNN dispatches to, e.g. "avx512_core_bf16" (for messages).
std::string cpu_isa_name();

// y = act(x W^T + b), x [..., K] -> y [..., N]. W is [N, K] (torch Linear layout).
// The weight is reordered into oneDNN's preferred layout once, at construction
// (converted to bf16 there for FloatMath::Bf16; the f32 input is converted per call).
class Linear {
 public:
  Linear();  // defined out of line: Impl is incomplete here
  // bias may be undefined
  Linear(const Tensor& weight, const Tensor& bias, FloatMath math = FloatMath::Fp32);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;

  Tensor forward(const Tensor& x, Activation act = Activation::None) const;
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  FloatMath math() const { return math_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t in_ = 0, out_ = 0;
  FloatMath math_ = FloatMath::Fp32;
};

// C[b] = alpha * A[b] . op(B[b]); A [batch, M, K]; B [batch, K, N] or, with
// transpose_b, [batch, N, K]; C [batch, M, N].
Tensor batched_matmul(const Tensor& a, const Tensor& b, bool transpose_b, float alpha = 1.0f);

// Self-attention products on [B*T, H*d] activations: kernels/attention.h.

// LayerNorm over the last dimension, in place.
void layer_norm(Tensor& x, const Tensor& gamma, const Tensor& beta, float eps);
// Softmax over the last dimension, in place.
void softmax(Tensor& x);
void activation(Tensor& x, Activation act);
// x += y (same shape), in place.
void add(Tensor& x, const Tensor& y);

}  // namespace qdq::kernels
