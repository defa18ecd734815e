// README op-by-op check of the causal self-attention in fake quant (lm/, max amax): from the
// recorded matmul input taps (what each quantizer received in PyTorch), our quantizers, causal +
// padding mask and attention kernels give the next recorded tensor up to float rounding. One op at
// a time, so no rounding flip propagates: atol 1e-5 (softmax probabilities and contexts of O(1)).
#include <doctest/doctest.h>

#include <cmath>

#include "bert_decoder/decoder_util.h"
#include "kernels/attention.h"
#include "layers/quant_point.h"
#include "models/bert/attention.h"
#include "models/bert/config.h"
#include "models/bert/decoder_mask.h"
#include "quant/amax_table.h"

using namespace qdq;

namespace {

constexpr double kOpAtol = 1e-5;

// [B, H, T, d] (or, transposed, [B, H, d, T]) -> [B*T, H*d] rows.
Tensor rows_of(const Tensor& t, bool transposed) {
  const int64_t B = t.dim(0), H = t.dim(1), T = transposed ? t.dim(3) : t.dim(2), d = transposed ? t.dim(2) : t.dim(3);
  Tensor out(DType::F32, {B * T, H * d});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t k = 0; k < d; ++k)
          out.data<float>()[(b * T + i) * H * d + h * d + k] =
              transposed ? t.data<float>()[((b * H + h) * d + k) * T + i] : t.data<float>()[((b * H + h) * T + i) * d + k];
  return out;
}

}  // namespace

TEST_CASE("taps: causal self-attention op by op (fake quant, max amax)") {
  auto taps = read_safetensors(bdt::fixture("taps_max.safetensors"));
  auto in = read_safetensors(bdt::fixture("inputs.safetensors"));
  auto table = quant::load_amax_table(bdt::fixture("amax_max.json"));
  Checkpoint ck = load_checkpoint(bdt::fixture("lm"));
  auto cfg = models::bert::parse_bert_config(ck.config, "config.json");
  const Tensor& ids = in.at("lm.input_ids");
  const int64_t B = ids.dim(0), T = ids.dim(1), H = cfg.num_attention_heads, d = cfg.head_dim();
  const auto mask = models::bert::decoder_self_mask(in.at("lm.attention_mask").to_i64_vector(), B, T, 0);
  const kernels::AttnDims D{B, T, T, T, T};
  for (int64_t layer = 0; layer < cfg.num_hidden_layers; ++layer) {
    const std::string p = "bert.encoder.layer." + std::to_string(layer) + ".attention.";
    INFO(p);
    quant::QuantPlan plan;
    auto point = [&](const std::string& name) -> quant::TensorQuantizer& {
      auto& q = plan.add(p + "self." + name, quant::input_desc());
      q.set_amax(table.at(p + "self." + name));
      return q;
    };
    auto& mq = point("matmul_q_input_quantizer");
    auto& mk = point("matmul_k_input_quantizer");
    auto& mv = point("matmul_v_input_quantizer");
    auto& ma = point("matmul_a_input_quantizer");
    plan.set_mode(quant::QuantMode::FakeQuant);
    // softmax(fq(Q) fq(K)^T / sqrt(d) + causal/padding mask) = the tap matmul_a's quantizer received.
    Tensor q = rows_of(taps.at(p + "self.matmul_q_input_quantizer"), false);
    Tensor k = rows_of(taps.at(p + "self.matmul_k_input_quantizer"), true);  // HF records K^T
    layers::quant_point(mq, q);
    layers::quant_point(mk, k);
    Tensor scores = kernels::attention_scores(q, k, D, H, 1.0f / std::sqrt(static_cast<float>(d)), mask.data());
    kernels::softmax(scores);
    bdt::check_close(scores, taps.at(p + "self.matmul_a_input_quantizer"), kOpAtol, 0, p + "softmax(QK^T + mask)");
    // fq(P) fq(V) = the tap output.dense's input quantizer received.
    Tensor a = taps.at(p + "self.matmul_a_input_quantizer").clone();
    Tensor v = rows_of(taps.at(p + "self.matmul_v_input_quantizer"), false);
    layers::quant_point(ma, a);
    layers::quant_point(mv, v);
    Tensor ctx = kernels::attention_context(a, v, D, H);
    bdt::check_close(ctx.reshape({B, T, H * d}), taps.at(p + "output.dense._input_quantizer"), kOpAtol, 0,
                     p + "P.V");
  }
}
