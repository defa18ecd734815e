#pragma once
// QDQBertAttention: self-attention with the four matmul quant points, then
// the output dense and its quantized residual add + LayerNorm. One block for
// every use: encoder self-attention, a decoder's causal self-attention over a
// KV cache, and cross-attention (queries from the decoder, keys/values from
// the encoder output, computed once).
#include <string>

#include "io/checkpoint.h"
#include "layers/quant_linear.h"
#include "models/bert/config.h"

namespace qdq::models::bert {

// Keys/values of one attention block kept across decoder steps: [B, capacity, hidden] rows, of
// which the first `length` per batch entry are filled. F32, or the I8 codes of the matmul K/V
// quantizers when the attention runs in int8 (static scales make stored codes stay valid).
struct KVCache {
  Tensor k, v;
  int64_t capacity = 0, length = 0;
  Tensor spare_k, spare_v;  // reorder's second buffers
  void reorder(const std::vector<int64_t>& idx);
  // [B, heads, length, head_dim] F32 (Hugging Face's past_key_values layout), for validation.
  Tensor heads_view(bool key, int64_t heads) const;
};

// What one attention call attends to besides its queries.
struct Attend {
  const float* mask_add = nullptr;  // additive, [B, mask_q, Tk]; null: nothing masked
  int64_t mask_q = 1;               // 1: one row for all queries; Tq: one row per query (causal)
  KVCache* kv = nullptr;            // null: keys/values of x itself (encoder)
  bool append = true;               // self-attention: add x's keys/values to kv first; cross: false
  // Hugging Face's head_mask row for this layer: [heads] factors on the probabilities (after the
  // softmax, before P's quantizer and P.V); null: none.
  const float* head_mask = nullptr;
  // output_attentions: set to the probabilities [B, heads, Tq, Tk] (head mask applied, before P's
  // quantizer, as QDQBERT returns them); null: not asked for, nothing copied.
  Tensor* probs_out = nullptr;
};

class BertAttention {
 public:
  // prefix: "bert.encoder.layer.N.attention."
  BertAttention(const BertConfig& c, WeightStore& w, const std::string& prefix, quant::QuantPlan& plan);
  // x [B*T, hidden] (consumed: may be quantized in place as the residual);
  // mask_add [B, T] additive mask. Returns [B*T, hidden].
  Tensor forward(Tensor& x, const float* mask_add, int64_t B, int64_t T);
  // x [B*Tq, hidden] queries (consumed as above), attending as `a` says. Returns [B*Tq, hidden].
  Tensor forward(Tensor& x, int64_t B, int64_t Tq, const Attend& a);
  // An empty cache of `capacity` rows per batch entry, in the dtype the resolved plan stores.
  KVCache new_cache(int64_t B, int64_t capacity) const;
  // Cross-attention: the keys/values of the encoder output mem [B*S, hidden], once per source.
  KVCache project_kv(const Tensor& mem, int64_t B, int64_t S);
  // Resolves the plan of every quant point here (quant::PointPlan), once.
  void prepare();

 private:
  // The context [B*Tq, hidden] before output.dense.
  Tensor self_attention(const Tensor& x, int64_t B, int64_t Tq, const Attend& a);
  Tensor self_attention_int8(const Tensor& x, int64_t B, int64_t Tq, const Attend& a);
  // K and V of x [B*T, hidden] as the plan computes them (F32 after their quant points, or I8 codes).
  std::pair<Tensor, Tensor> keys_values(const Tensor& x);
  // x quantized for a projection's int8 kernel, reusing *xq when the scale agrees.
  Tensor int8_input(const Tensor& x, const layers::QuantLinear& l, Tensor* xq, float* scale, bool* is_unsigned) const;

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

}  // namespace qdq::models::bert
