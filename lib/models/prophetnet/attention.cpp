#include "models/prophetnet/attention.h"

#include <cmath>

#include "kernels/ops.h"
#include "models/prophetnet/tensor_util.h"

namespace qdq::models::prophetnet {

std::vector<float> additive_key_mask(const std::vector<int64_t>& mask) {
  std::vector<float> add(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) add[i] = (1.0f - static_cast<float>(mask[i])) * kMaskMin;
  return add;
}

Attention::Attention(const std::string& m, WeightStore& ws, int64_t hidden, int64_t heads, quant::QuantPlan& plan)
    : hidden_(hidden), heads_(heads) {
  // Creation order = named_modules() order of ProphetNetAttention: key, value, query, out.
  k_ = layers::load_quant_linear(ws, m + ".key_proj", hidden, hidden, plan);
  v_ = layers::load_quant_linear(ws, m + ".value_proj", hidden, hidden, plan);
  q_ = layers::load_quant_linear(ws, m + ".query_proj", hidden, hidden, plan);
  o_ = layers::load_quant_linear(ws, m + ".out_proj", hidden, hidden, plan);
}

void Attention::prepare() {
  q_.prepare();
  k_.prepare();
  v_.prepare();
  o_.prepare();
}

Attention::KV Attention::project_kv(const Tensor& states) {
  return {split_heads(k_.forward(states), heads_), split_heads(v_.forward(states), heads_)};
}

Tensor Attention::forward(const Tensor& x, const KV& kv, const std::vector<float>& key_add, const float* head_mask,
                          Tensor* weights_out) {
  const int64_t B = x.dim(0), T = x.dim(1), d = hidden_ / heads_, S = kv.k.dim(1);
  Tensor q = q_.forward(x);
  // transformers divides (not multiplies) by sqrt(head_dim).
  const float scale = std::sqrt(static_cast<float>(d));
  for (float* p = q.data<float>(), *e = p + q.numel(); p != e; ++p) *p /= scale;
  Tensor qh = split_heads(q, heads_);
  Tensor scores = kernels::batched_matmul(qh, kv.k, /*transpose_b=*/true);  // [B*heads, T, S]
  if (!key_add.empty()) {
    float* s = scores.data<float>();
    for (int64_t bh = 0; bh < B * heads_; ++bh) {
      const float* m = key_add.data() + (bh / heads_) * S;
      for (int64_t t = 0; t < T; ++t)
        for (int64_t j = 0; j < S; ++j) s[(bh * T + t) * S + j] += m[j];
    }
  }
  // Per head h of every row: p[h * T * S ..) *= m[h] (skipping the heads a mask leaves alone).
  auto scale_heads = [&](Tensor& t, const float* m) {
    float* p = t.data<float>();
    for (int64_t bh = 0; bh < B * heads_; ++bh)
      if (m[bh % heads_] != 1.0f)
        for (float *q = p + bh * T * S, *e = q + T * S; q != e; ++q) *q *= m[bh % heads_];
  };
  if (weights_out) {
    *weights_out = scores.clone().reshape({B, heads_, T, S});
    if (head_mask) scale_heads(*weights_out, head_mask);
  }
  kernels::softmax(scores);
  if (head_mask) scale_heads(scores, head_mask);
  Tensor ctx = kernels::batched_matmul(scores, kv.v, /*transpose_b=*/false);  // [B*heads, T, d]
  return o_.forward(merge_heads(ctx, B));
}

}  // namespace qdq::models::prophetnet
