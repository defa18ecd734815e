#pragma once
// QDQBertAttention: self-attention with the four matmul quant points, then
// the output dense and its quantized residual add + LayerNorm.
#include <string>

#include "io/checkpoint.h"
#include "layers/quant_linear.h"
#include "models/bert/config.h"

namespace qdq::models::bert {

class BertAttention {
 public:
  // prefix: "bert.encoder.layer.N.attention."
  BertAttention(const BertConfig& c, WeightStore& w, const std::string& prefix, quant::QuantPlan& plan);
  // x [B*T, hidden] (consumed: may be quantized in place as the residual);
  // mask_add [B, T] additive mask. Returns [B*T, hidden].
  Tensor forward(Tensor& x, const float* mask_add, int64_t B, int64_t T);
  // Resolves the plan of every quant point here (quant::PointPlan), once.
  void prepare();

 private:
  // The context [B*T, hidden] before output.dense.
  Tensor self_attention(const Tensor& x, const float* mask_add, int64_t B, int64_t T);
  Tensor self_attention_int8(const Tensor& x, const float* mask_add, int64_t B, int64_t T);

  // Initialised in this order (see the constructor).
  int64_t heads_ = 0, head_dim_ = 0, hidden_ = 0;
  float eps_ = 0;
  layers::QuantLinear query_, key_, value_;
  quant::TensorQuantizer *mq_ = nullptr, *mk_ = nullptr, *mv_ = nullptr, *ma_ = nullptr;
  layers::QuantLinear dense_;
  quant::TensorQuantizer *local_ = nullptr, *residual_ = nullptr;
  Tensor ln_w_, ln_b_;
  bool int8_attention_ = false;  // resolved by prepare()
};

// The plan of a residual add's two quant points: what their mode says (in
// int8 mode: fake quant, as Hugging Face applies them; no integer add).
void plan_residual_points(quant::TensorQuantizer& local, quant::TensorQuantizer& residual);

// BertSelfOutput / BertOutput's tail as QDQBERT writes it:
// out = LayerNorm(local(out) + residual(x)); both quant points fake-quantize
// in place (x is consumed).
void residual_add_norm(quant::TensorQuantizer& local, Tensor& out, quant::TensorQuantizer& residual, Tensor& x,
                       const Tensor& gamma, const Tensor& beta, float eps);

// Kept for the op-by-op tests; the forward addresses heads through strides.
// [B*T, H*d] (row stride ld floats, column offset applied by caller) -> [B, H, T, d].
void split_heads(const float* src, int64_t ld, float* dst, int64_t B, int64_t T, int64_t H, int64_t d);
// [B, H, T, d] -> [B*T, H*d].
void merge_heads(const float* src, float* dst, int64_t B, int64_t T, int64_t H, int64_t d);

}  // namespace qdq::models::bert
