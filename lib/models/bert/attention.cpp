#include "models/bert/attention.h"

#include <cmath>

#include "models/bert/quant_point.h"

namespace qdq::models::bert {

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
      query_(layers::load_quant_linear(w, p + "self.query", hidden_, hidden_, plan)),
      key_(layers::load_quant_linear(w, p + "self.key", hidden_, hidden_, plan)),
      value_(layers::load_quant_linear(w, p + "self.value", hidden_, hidden_, plan)),
      mq_(&plan.add(p + "self.matmul_q_input_quantizer", quant::input_desc())),
      mk_(&plan.add(p + "self.matmul_k_input_quantizer", quant::input_desc())),
      mv_(&plan.add(p + "self.matmul_v_input_quantizer", quant::input_desc())),
      ma_(&plan.add(p + "self.matmul_a_input_quantizer", quant::input_desc())),
      dense_(layers::load_quant_linear(w, p + "output.dense", hidden_, hidden_, plan)),
      local_(&plan.add(p + "output.add_local_input_quantizer", quant::input_desc())),
      residual_(&plan.add(p + "output.add_residual_input_quantizer", quant::input_desc())),
      ln_w_(w.take(p + "output.LayerNorm.weight", {hidden_})),
      ln_b_(w.take(p + "output.LayerNorm.bias", {hidden_})) {}

void BertAttention::prepare() {
  query_.prepare();
  key_.prepare();
  value_.prepare();
  dense_.prepare();
  // The integer attention needs all of it: int8 projections that write their outputs as the matmul
  // quantizers' codes, and the four matmul quantizers int8-able (K and V are oneDNN's weights
  // operand, s8 only; Q and P may be u8). Otherwise every point runs as its mode says, and the plan
  // records why.
  std::string why;
  for (const layers::QuantLinear* l : {&query_, &key_, &value_})
    if (why.empty() && !l->int8_ready()) why = "the query/key/value Linears are not all int8";
  if (why.empty()) why = layers::int8_blocker(*mq_, false);
  if (why.empty()) why = layers::int8_blocker(*mk_, false);
  if (why.empty()) why = layers::int8_blocker(*mv_, false);
  if (why.empty()) why = layers::int8_blocker(*ma_, true);
  int8_attention_ = why.empty();
  const std::pair<quant::TensorQuantizer*, const char*> points[] = {
      {mq_, "matmul Q.K^T"}, {mk_, "matmul Q.K^T"}, {mv_, "matmul P.V"}, {ma_, "matmul P.V"}};
  for (auto& [q, op] : points) {
    if (int8_attention_) q->set_plan({quant::Kernel::Int8, op, ""});
    else q->plan_by_mode(op, why);
  }
  plan_residual_points(*local_, *residual_);
}

void plan_residual_points(quant::TensorQuantizer& local, quant::TensorQuantizer& residual) {
  const char* why = "Hugging Face applies the residual-add quantizers as fake quant; the add and LayerNorm run in float";
  local.plan_by_mode("residual add", why);
  residual.plan_by_mode("residual add", why);
}

// fp32, calibration and fake quant: each quant point applied in place, as
// the quantizers apply themselves. Per-tensor quantizers make the [B*T, H*d]
// layout (instead of HF's [B, H, T, d]) irrelevant to calibration and fake quant.
Tensor BertAttention::self_attention(const Tensor& x, const float* mask_add, int64_t B, int64_t T) {
  Tensor q = query_.forward(x), k = key_.forward(x), v = value_.forward(x);
  // Q is quantized before the 1/sqrt(d) scaling (folded into the matmul's output scale).
  // K's quantizer sees K^T in Hugging Face; per-tensor amax makes the layout irrelevant.
  quant_point(*mq_, q);
  quant_point(*mk_, k);
  Tensor scores = kernels::attention_scores(q, k, B, T, heads_, 1.0f / std::sqrt(static_cast<float>(head_dim_)),
                                            mask_add);
  kernels::softmax(scores);
  quant_point(*ma_, scores);
  quant_point(*mv_, v);
  return kernels::attention_context(scores, v, B, T, heads_);
}

// Int8: x is quantized once for the three projections when their input
// quantizers agree (max calibration gives them the same amax: they see the
// same tensor); each projection writes its output already quantized for its
// matmul quantizer; the context comes out quantized for output.dense when
// that is int8. Softmax stays fp32 (its output is quantized once, for P.V).
Tensor BertAttention::self_attention_int8(const Tensor& x, const float* mask_add, int64_t B, int64_t T) {
  Tensor xq;
  float xq_scale = 0.0f;
  bool xq_unsigned = false;
  auto input_of = [&](const layers::QuantLinear& l) {
    const auto& k = l.int8_kernel();
    if (!xq.defined() || k.input_scale() != xq_scale || k.input_unsigned() != xq_unsigned) {
      xq_scale = k.input_scale();
      xq_unsigned = k.input_unsigned();
      xq = xq_unsigned ? kernels::quantize_u8(x, xq_scale) : kernels::quantize_s8(x, xq_scale);
    }
    return xq;
  };
  using kernels::Activation;
  Tensor q = query_.forward_requantized(input_of(query_), Activation::None, *mq_);
  Tensor k = key_.forward_requantized(input_of(key_), Activation::None, *mk_);
  Tensor v = value_.forward_requantized(input_of(value_), Activation::None, *mv_);
  xq = Tensor();
  const float sq = layers::int8_scale(*mq_), sk = layers::int8_scale(*mk_), sv = layers::int8_scale(*mv_),
              sa = layers::int8_scale(*ma_);
  Tensor scores = kernels::attention_scores_int8(q, sq, k, sk, B, T, heads_,
                                                 1.0f / std::sqrt(static_cast<float>(head_dim_)), mask_add);
  kernels::softmax(scores);
  Tensor p = ma_->desc().is_unsigned ? kernels::quantize_u8(scores, sa) : kernels::quantize_s8(scores, sa);
  scores = Tensor();
  if (dense_.int8_ready()) {
    const auto& dk = dense_.int8_kernel();
    return kernels::attention_context_int8(p, sa, v, sv, B, T, heads_, dk.input_unsigned() ? DType::U8 : DType::I8,
                                           dk.input_scale());
  }
  return kernels::attention_context_int8(p, sa, v, sv, B, T, heads_);
}

Tensor BertAttention::forward(Tensor& x, const float* mask_add, int64_t B, int64_t T) {
  // ctx: F32, or quantized for output.dense's int8 kernel.
  Tensor ctx = int8_attention_ ? self_attention_int8(x, mask_add, B, T) : self_attention(x, mask_add, B, T);
  Tensor out = dense_.forward(ctx);
  ctx = Tensor();
  residual_add_norm(*local_, out, *residual_, x, ln_w_, ln_b_, eps_);
  return out;
}

void residual_add_norm(quant::TensorQuantizer& local, Tensor& out, quant::TensorQuantizer& residual, Tensor& x,
                       const Tensor& gamma, const Tensor& beta, float eps) {
  quant_point(local, out);
  quant_point(residual, x);
  kernels::add(out, x);
  kernels::layer_norm(out, gamma, beta, eps);
}

}  // namespace qdq::models::bert
