#include "models/bert/attention.h"

#include <cmath>
#include <cstring>
#include <tuple>

#include "kernels/attention.h"
#include "models/generative.h"

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

namespace {

// Appends k/v [B*Tq, hidden] (same dtype as the cache) after kv.length.
void append_kv(KVCache& kv, const Tensor& k, const Tensor& v, int64_t B, int64_t Tq) {
  check(kv.length + Tq <= kv.capacity, "decoder cache: {} + {} tokens exceed its capacity {}", kv.length, Tq,
        kv.capacity);
  check(k.dtype() == kv.k.dtype(), "decoder cache: {} keys into a {} cache (plan changed after start?)",
        dtype_name(k.dtype()), dtype_name(kv.k.dtype()));
  const int64_t H = k.dim(-1);
  const size_t es = dtype_size(k.dtype()), row = H * es;
  for (auto [dst, src] : {std::pair{&kv.k, &k}, std::pair{&kv.v, &v}})
    for (int64_t b = 0; b < B; ++b)
      std::memcpy(static_cast<char*>(dst->raw()) + (b * kv.capacity + kv.length) * row,
                  static_cast<const char*>(src->raw()) + b * Tq * row, Tq * row);
  kv.length += Tq;
}

}  // namespace

void KVCache::reorder(const std::vector<int64_t>& idx) {
  const int64_t H = k.dim(-1);
  models::reorder_rows(k, spare_k, idx, 1, capacity * H, length * H);
  models::reorder_rows(v, spare_v, idx, 1, capacity * H, length * H);
}

Tensor KVCache::heads_view(bool key, int64_t heads) const {
  const Tensor& t = key ? k : v;
  check(t.dtype() == DType::F32, "decoder cache: {} keys/values have no float view", dtype_name(t.dtype()));
  const int64_t B = t.dim(0), H = t.dim(2), d = H / heads;
  Tensor out(DType::F32, {B, heads, length, d});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < length; ++i)
        std::copy_n(t.data<float>() + (b * capacity + i) * H + h * d, d,
                    out.data<float>() + ((b * heads + h) * length + i) * d);
  return out;
}

KVCache BertAttention::new_cache(int64_t B, int64_t capacity) const {
  KVCache c;
  const DType t = int8_attention_ ? DType::I8 : DType::F32;
  c.k = Tensor(t, {B, capacity, hidden_});
  c.v = Tensor(t, {B, capacity, hidden_});
  c.capacity = capacity;
  return c;
}

KVCache BertAttention::project_kv(const Tensor& mem, int64_t B, int64_t S) {
  KVCache c = new_cache(B, S);
  auto [k, v] = keys_values(mem);
  append_kv(c, k, v, B, S);
  return c;
}

Tensor BertAttention::int8_input(const Tensor& x, const layers::QuantLinear& l, Tensor* xq, float* scale,
                                 bool* is_unsigned) const {
  const auto& k = l.int8_kernel();
  if (!xq->defined() || k.input_scale() != *scale || k.input_unsigned() != *is_unsigned) {
    *scale = k.input_scale();
    *is_unsigned = k.input_unsigned();
    *xq = *is_unsigned ? kernels::quantize_u8(x, *scale) : kernels::quantize_s8(x, *scale);
  }
  return *xq;
}

// fp32, calibration and fake quant: each quant point applied in place, as the quantizers apply
// themselves (per-tensor amax makes the [B*T, H*d] layout, instead of HF's [B, H, T, d], and
// K's transposition irrelevant). Int8: each projection writes its output already quantized for its
// matmul quantizer (x quantized once when the input quantizers agree, as max calibration makes them:
// they see the same tensor). A cache stores keys/values after their quant points; with a static
// amax, quantizing the concatenation (as HF does) equals concatenating the quantized parts.
std::pair<Tensor, Tensor> BertAttention::keys_values(const Tensor& x) {
  if (int8_attention_) {
    Tensor xq;
    float s = 0.0f;
    bool u = false;
    using kernels::Activation;
    Tensor k = key_.forward_requantized(int8_input(x, key_, &xq, &s, &u), Activation::None, *mk_);
    Tensor v = value_.forward_requantized(int8_input(x, value_, &xq, &s, &u), Activation::None, *mv_);
    return {k, v};
  }
  Tensor k = key_.forward(x), v = value_.forward(x);
  quant_point(*mk_, k);
  quant_point(*mv_, v);
  return {k, v};
}

namespace {

// probs [B, heads, Tq, Tk] times the head mask row, per head (skipping the heads it leaves as they are).
void apply_head_mask(Tensor& probs, const float* m) {
  const int64_t B = probs.dim(0), H = probs.dim(1), n = probs.dim(2) * probs.dim(3);
  float* p = probs.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      if (m[h] != 1.0f)
        for (float *q = p + (b * H + h) * n, *e = q + n; q != e; ++q) *q *= m[h];
}

// The int8 attention's P holds its quantizer's codes: a head mask scales the codes (round half to
// even, saturated). For 0/1 masks, the usual head pruning, that is exactly quantize(P * mask) as
// Hugging Face computes it; another factor may differ from it by one code step.
template <class C>
void apply_head_mask_codes(Tensor& codes, const float* m, float lo, float hi) {
  const int64_t B = codes.dim(0), H = codes.dim(1), n = codes.dim(2) * codes.dim(3);
  C* p = static_cast<C*>(codes.raw());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      if (m[h] != 1.0f)
        for (C *q = p + (b * H + h) * n, *e = q + n; q != e; ++q)
          *q = static_cast<C>(std::fmin(hi, std::fmax(lo, std::nearbyint(static_cast<float>(*q) * m[h]))));
}

// output_attentions for the int8 attention: its softmax writes P's codes directly, so the maps it
// reports are those codes dequantized (code / scale): the probabilities P.V actually used, within one
// quantization step (amax / 127) of the float ones.
Tensor dequantized_probs(const Tensor& codes, float scale) {
  Tensor out(DType::F32, codes.shape());
  const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
  float* o = out.data<float>();
  const int64_t n = codes.numel();
  if (codes.dtype() == DType::U8)
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(codes.data<uint8_t>()[i]) * inv;
  else
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(codes.data<int8_t>()[i]) * inv;
  return out;
}

// Keys/values to attend to: x's own (no cache), x's appended to the cache, or the cache as is.
kernels::AttnDims attend_dims(const Attend& a, int64_t B, int64_t Tq) {
  if (!a.kv) return {B, Tq, Tq, Tq, a.mask_q};
  return {B, Tq, a.kv->length, a.kv->capacity, a.mask_q};
}
}  // namespace

Tensor BertAttention::self_attention(const Tensor& x, int64_t B, int64_t Tq, const Attend& a) {
  Tensor q = query_.forward(x);
  // Q is quantized before the 1/sqrt(d) scaling (folded into the matmul's output scale).
  quant_point(*mq_, q);
  Tensor k, v;
  if (!a.kv || a.append) std::tie(k, v) = keys_values(x);
  if (a.kv) {
    if (a.append) append_kv(*a.kv, k, v, B, Tq);
    k = a.kv->k;
    v = a.kv->v;
  }
  const kernels::AttnDims D = attend_dims(a, B, Tq);
  Tensor scores = kernels::attention_scores(q, k, D, heads_, 1.0f / std::sqrt(static_cast<float>(head_dim_)),
                                            a.mask_add);
  kernels::softmax(scores);
  if (a.head_mask) apply_head_mask(scores, a.head_mask);
  if (a.probs_out) *a.probs_out = scores.clone();
  quant_point(*ma_, scores);
  return kernels::attention_context(scores, v, D, heads_);
}

// Softmax stays fp32 (its output is quantized once, for P.V); the context comes out quantized for
// output.dense when that is int8.
Tensor BertAttention::self_attention_int8(const Tensor& x, int64_t B, int64_t Tq, const Attend& a) {
  Tensor xq;
  float xs = 0.0f;
  bool xu = false;
  Tensor q = query_.forward_requantized(int8_input(x, query_, &xq, &xs, &xu), kernels::Activation::None, *mq_);
  Tensor k, v;
  if (!a.kv || a.append) {
    using kernels::Activation;
    k = key_.forward_requantized(int8_input(x, key_, &xq, &xs, &xu), Activation::None, *mk_);
    v = value_.forward_requantized(int8_input(x, value_, &xq, &xs, &xu), Activation::None, *mv_);
  }
  xq = Tensor();
  if (a.kv) {
    if (a.append) append_kv(*a.kv, k, v, B, Tq);
    k = a.kv->k;
    v = a.kv->v;
  }
  const kernels::AttnDims D = attend_dims(a, B, Tq);
  const float sq = layers::int8_scale(*mq_), sk = layers::int8_scale(*mk_), sv = layers::int8_scale(*mv_),
              sa = layers::int8_scale(*ma_);
  // The mask goes in with the softmax, not into the scores matmul (kernels/attention.h says why).
  Tensor scores = kernels::attention_scores_int8(q, sq, k, sk, D, heads_,
                                                 1.0f / std::sqrt(static_cast<float>(head_dim_)), nullptr);
  Tensor p = kernels::attention_probs_int8(scores, a.mask_add, D, sa, ma_->desc().is_unsigned);
  scores = Tensor();
  if (a.head_mask) {
    if (p.dtype() == DType::U8) apply_head_mask_codes<uint8_t>(p, a.head_mask, 0.0f, 255.0f);
    else apply_head_mask_codes<int8_t>(p, a.head_mask, -128.0f, 127.0f);
  }
  if (a.probs_out) *a.probs_out = dequantized_probs(p, sa);
  if (dense_.int8_ready()) {
    const auto& dk = dense_.int8_kernel();
    return kernels::attention_context_int8(p, sa, v, sv, D, heads_, dk.input_unsigned() ? DType::U8 : DType::I8,
                                           dk.input_scale());
  }
  return kernels::attention_context_int8(p, sa, v, sv, D, heads_);
}

Tensor BertAttention::forward(Tensor& x, const float* mask_add, int64_t B, int64_t T) {
  Attend a;
  a.mask_add = mask_add;
  return forward(x, B, T, a);
}

Tensor BertAttention::forward(Tensor& x, int64_t B, int64_t Tq, const Attend& a) {
  // ctx: F32, or quantized for output.dense's int8 kernel.
  Tensor ctx = int8_attention_ ? self_attention_int8(x, B, Tq, a) : self_attention(x, B, Tq, a);
  Tensor out = dense_.forward(ctx);
  ctx = Tensor();
  residual_add_norm(*local_, out, *residual_, x, ln_w_, ln_b_, eps_);
  return out;
}

void residual_add_norm(quant::TensorQuantizer& local, Tensor& out, quant::TensorQuantizer& residual, Tensor& x,
                       const Tensor& gamma, const Tensor& beta, float eps) {
  const auto a = layers::fused_fake_quant_step(local), b = layers::fused_fake_quant_step(residual);
  if (a && b) return kernels::residual_add_layer_norm(out, x, *a, *b, gamma, beta, eps);
  quant_point(local, out);
  quant_point(residual, x);
  kernels::add(out, x);
  kernels::layer_norm(out, gamma, beta, eps);
}

}  // namespace qdq::models::bert
