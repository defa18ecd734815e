#include "models/bert/attention.h"

#include <cmath>

#include "models/bert/quant_point.h"

namespace qdq::models::bert {

namespace {
layers::QuantLinear make_linear(WeightStore& w, const std::string& name, int64_t out, int64_t in,
                                quant::QuantPlan& plan) {
  return layers::QuantLinear(name, w.take(name + ".weight", {out, in}), w.take(name + ".bias", {out}), plan);
}
}  // namespace

void split_heads(const float* src, int64_t ld, float* dst, int64_t B, int64_t T, int64_t H, int64_t d) {
#pragma omp parallel for collapse(2)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t) {
        const float* s = src + (b * T + t) * ld + h * d;
        float* o = dst + ((b * H + h) * T + t) * d;
        for (int64_t i = 0; i < d; ++i) o[i] = s[i];
      }
}

void merge_heads(const float* src, float* dst, int64_t B, int64_t T, int64_t H, int64_t d) {
#pragma omp parallel for collapse(2)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < H; ++h) {
        const float* s = src + ((b * H + h) * T + t) * d;
        float* o = dst + (b * T + t) * H * d + h * d;
        for (int64_t i = 0; i < d; ++i) o[i] = s[i];
      }
}

BertAttention::BertAttention(const BertConfig& c, WeightStore& w, const std::string& p, quant::QuantPlan& plan)
    // Member order = creation order = the module definition order that named_modules() reports.
    : heads_(c.num_attention_heads),
      head_dim_(c.head_dim()),
      hidden_(c.hidden_size),
      eps_(c.layer_norm_eps),
      query_(make_linear(w, p + "self.query", hidden_, hidden_, plan)),
      key_(make_linear(w, p + "self.key", hidden_, hidden_, plan)),
      value_(make_linear(w, p + "self.value", hidden_, hidden_, plan)),
      mq_(&plan.add(p + "self.matmul_q_input_quantizer", quant::input_desc())),
      mk_(&plan.add(p + "self.matmul_k_input_quantizer", quant::input_desc())),
      mv_(&plan.add(p + "self.matmul_v_input_quantizer", quant::input_desc())),
      ma_(&plan.add(p + "self.matmul_a_input_quantizer", quant::input_desc())),
      dense_(make_linear(w, p + "output.dense", hidden_, hidden_, plan)),
      local_(&plan.add(p + "output.add_local_input_quantizer", quant::input_desc())),
      residual_(&plan.add(p + "output.add_residual_input_quantizer", quant::input_desc())),
      ln_w_(w.take(p + "output.LayerNorm.weight", {hidden_})),
      ln_b_(w.take(p + "output.LayerNorm.bias", {hidden_})) {}

void BertAttention::prepare() {
  query_.prepare();
  key_.prepare();
  value_.prepare();
  dense_.prepare();
}

Tensor BertAttention::forward(Tensor& x, const float* mask_add, int64_t B, int64_t T) {
  const int64_t H = heads_, d = head_dim_;
  const Shape bhtd{B, H, T, d};
  Tensor q(DType::F32, bhtd), k(DType::F32, bhtd), v(DType::F32, bhtd);
  {
    Tensor lq = query_.forward(x), lk = key_.forward(x), lv = value_.forward(x);
    split_heads(lq.data<float>(), hidden_, q.data<float>(), B, T, H, d);
    split_heads(lk.data<float>(), hidden_, k.data<float>(), B, T, H, d);
    split_heads(lv.data<float>(), hidden_, v.data<float>(), B, T, H, d);
  }
  // Q is quantized before the 1/sqrt(d) scaling (folded into the matmul's alpha).
  // K's quantizer sees K^T in Hugging Face; per-tensor amax makes the layout irrelevant.
  quant_point(*mq_, q);
  quant_point(*mk_, k);
  Tensor scores = kernels::batched_matmul(q.reshape({B * H, T, d}), k.reshape({B * H, T, d}), true,
                                          1.0f / std::sqrt(static_cast<float>(d)));
  float* s = scores.data<float>();
#pragma omp parallel for collapse(2)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t r = 0; r < H * T; ++r) {
      float* row = s + (b * H * T + r) * T;
      const float* m = mask_add + b * T;
      for (int64_t j = 0; j < T; ++j) row[j] += m[j];
    }
  kernels::softmax(scores);
  quant_point(*ma_, scores);
  quant_point(*mv_, v);
  Tensor ctx = kernels::batched_matmul(scores, v.reshape({B * H, T, d}), false);
  Tensor merged(DType::F32, {B * T, hidden_});
  merge_heads(ctx.data<float>(), merged.data<float>(), B, T, H, d);

  Tensor out = dense_.forward(merged);
  quant_point(*local_, out);
  quant_point(*residual_, x);
  kernels::add(out, x);
  kernels::layer_norm(out, ln_w_, ln_b_, eps_);
  return out;
}

}  // namespace qdq::models::bert
