// ProphetNet's optional forward outputs against transformers 4.37.2
// (tests/fixtures/forward-outputs/prophetnet.safetensors, see its README):
// ProphetNetForConditionalGeneration's encoder_/decoder_/cross_ tuples and its three head masks,
// ProphetNetForCausalLM's hidden_states / attentions tuples (stored under `causal.` there).
#include <memory>

#include "fo_util.h"
#include "models/model.h"
#include "quant/amax_table.h"

using namespace qdq;
using fot::check_close;

namespace {

// forward-outputs README: "as the source fixture's fp32 outputs (about 1e-4 absolute; attention
// probabilities 1e-5)", and the source fixtures' rtol 1e-4: hidden states 1e-4 + 1e-4 relative,
// probabilities 1e-5 + 1e-4 relative (the second layer's inputs already carry float32 rounding of
// 1e-5: transformers' own fp32 decoder differs from its fp64 one by 3.2e-5, prophetnet README).
// encoder_attentions / cross_attentions are the scores before the softmax (transformers'
// ProphetNetAttention returns those), dot products whose rounding scales with |q||k|, not with the
// score: 1e-4 of the tensor's largest unmasked magnitude; masked entries are finfo(float32).min
// exactly.
constexpr double kHidden = 1e-4, kRel = 1e-4, kProbs = 1e-5;

// 1e-4 x the largest magnitude below 1e30 (the masked entries are -3.4e38).
double scores_atol(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = std::fabs(t.data<float>()[i]);
    if (v < 1e30) m = std::max(m, v);
  }
  return 1e-4 * m;
}

std::string pn() { return fot::fixture("prophetnet"); }

const TensorMap& ref() {
  static const TensorMap r = fot::reference("prophetnet.safetensors");
  return r;
}

TensorMap seq2seq_inputs() {
  TensorMap in;
  for (const char* n : {"input_ids", "attention_mask", "decoder_input_ids", "decoder_attention_mask"})
    in.add(n, ref().at(std::string("input.") + n));
  return in;
}
TensorMap causal_inputs() {
  TensorMap in;
  in.add("input_ids", ref().at("input.causal_input_ids"));
  in.add("attention_mask", ref().at("input.causal_attention_mask"));
  return in;
}

models::ForwardRequest all_outputs() {
  models::ForwardRequest r;
  r.hidden_states = r.attentions = true;
  return r;
}

bool is_probs(const std::string& n) {
  return n.find("attentions") != std::string::npos && n.rfind("encoder_", 0) != 0 && n.rfind("cross_", 0) != 0;
}

// The reference tuple entries under `prefix` (renamed without it) against `out`, and nothing more.
void check_tuples(const TensorMap& out, const std::string& prefix) {
  size_t n_ref = 0;
  for (auto& full : ref().names) {
    if (full.rfind(prefix, 0) != 0) continue;
    const std::string n = full.substr(prefix.size());
    if (n.find("hidden_states") == std::string::npos && n.find("attentions") == std::string::npos) continue;
    if (n.find('.') == std::string::npos || !std::isdigit(static_cast<unsigned char>(n.back()))) continue;
    if (prefix.empty() && full.rfind("causal.", 0) == 0) continue;
    ++n_ref;
    CAPTURE(n);
    REQUIRE(out.has(n));
    if (is_probs(n)) check_close(out.at(n), ref().at(full), kProbs, kRel, n);
    else if (n.find("attentions") != std::string::npos) check_close(out.at(n), ref().at(full), scores_atol(ref().at(full)), 0.0, n);
    else check_close(out.at(n), ref().at(full), kHidden, kRel, n);
  }
  size_t n_out = 0;
  for (auto& n : out.names) n_out += std::isdigit(static_cast<unsigned char>(n.back())) != 0;
  CHECK(n_ref > 0);
  CHECK(n_out == n_ref);
}

}  // namespace

TEST_CASE("ProphetNetForConditionalGeneration: every encoder_/decoder_/cross_ tuple entry (safetensors and .bin)") {
  const std::string bin =
      fot::linked_dir(pn(), "pn_bin", std::vector<const char*>{"config.json", "generation_config.json", "pytorch_model.bin"});
  for (const std::string& dir : {pn(), bin}) {
    CAPTURE(dir);
    auto m = models::load_model(dir);
    TensorMap out = m->forward(seq2seq_inputs(), all_outputs());
    check_tuples(out, "");
    // The last entries are the last hidden states.
    CHECK(fot::max_abs_diff(out.at("encoder_hidden_states.2"), out.at("encoder_last_hidden_state")) == 0);
    CHECK(fot::max_abs_diff(out.at("decoder_hidden_states.2"), out.at("decoder_last_hidden_state")) == 0);
    CHECK(fot::max_abs_diff(out.at("decoder_ngram_hidden_states.2"), out.at("decoder_last_hidden_state_ngram")) == 0);
    // Asking for them changes nothing else.
    TensorMap plain = m->forward(seq2seq_inputs());
    CHECK(fot::max_abs_diff(plain.at("logits"), out.at("logits")) == 0);
  }
  std::filesystem::remove_all(bin);
}

TEST_CASE("ProphetNetForConditionalGeneration: head_mask, decoder_head_mask and cross_attn_head_mask together") {
  auto m = models::load_model(pn());
  TensorMap in = seq2seq_inputs();
  for (const char* n : {"head_mask", "decoder_head_mask", "cross_attn_head_mask"}) in.add(n, ref().at(n));
  // transformers 4.37.2 needs output_attentions for the encoder / cross masks; qdqrt applies them
  // with or without.
  TensorMap out = m->forward(in), with = m->forward(in, all_outputs());
  check_close(out.at("logits"), ref().at("head_mask.logits"), kHidden, kRel, "head_mask.logits");
  CHECK(fot::max_abs_diff(out.at("logits"), with.at("logits")) == 0);
  // Masked heads: zero probabilities; zero (pre-softmax) weights in the encoder and cross tuples.
  const Tensor& dm = ref().at("decoder_head_mask");
  const int64_t H = dm.dim(1);
  for (int64_t l = 0; l < dm.dim(0); ++l)
    for (int64_t h = 0; h < H; ++h) {
      if (dm.data<float>()[l * H + h] != 0.0f) continue;
      const Tensor& a = with.at("decoder_attentions." + std::to_string(l));
      const int64_t per = a.dim(2) * a.dim(3);
      for (int64_t i = 0; i < per; ++i) REQUIRE(a.data<float>()[h * per + i] == 0.0f);
    }
  TensorMap bad = seq2seq_inputs();
  bad.add("cross_attn_head_mask", Tensor(DType::F32, {3, 4}));
  CHECK_THROWS_WITH_AS(m->forward(bad), doctest::Contains("input 'cross_attn_head_mask' has shape [3, 4]"), Error);
}

TEST_CASE("ProphetNetForCausalLM: hidden_states, hidden_states_ngram, attentions, ngram_attentions (safetensors and .bin)") {
  const std::string bin =
      fot::linked_dir(pn(), "pn_cbin", std::vector<const char*>{"config.json", "generation_config.json", "pytorch_model.bin"});
  for (const std::string& dir : {pn(), bin}) {
    CAPTURE(dir);
    models::LoadOptions o;
    o.arch = "ProphetNetForCausalLM";
    auto m = models::load_model(dir, o);
    TensorMap out = m->forward(causal_inputs(), all_outputs());
    check_tuples(out, "causal.");
  }
  std::filesystem::remove_all(bin);
}

// inputs_embeds / decoder_inputs_embeds holding the word embeddings of the ids give the ids' outputs
// exactly (transformers adds the positions to them the same way).
TEST_CASE("ProphetNet inputs_embeds and decoder_inputs_embeds stand in for the ids") {
  const TensorMap w = read_safetensors(pn() + "/model.safetensors");
  const Tensor& table = w.at("prophetnet.word_embeddings.weight");
  auto embed = [&](const Tensor& ids) {
    const int64_t B = ids.dim(0), T = ids.dim(1), H = table.dim(1);
    Tensor e(DType::F32, {B, T, H});
    const auto v = ids.to_i64_vector();
    for (int64_t i = 0; i < B * T; ++i) std::copy_n(table.data<float>() + v[i] * H, H, e.data<float>() + i * H);
    return e;
  };
  auto m = models::load_model(pn());
  TensorMap in = seq2seq_inputs(), e;
  e.add("inputs_embeds", embed(in.at("input_ids")));
  e.add("attention_mask", in.at("attention_mask"));
  e.add("decoder_inputs_embeds", embed(in.at("decoder_input_ids")));
  e.add("decoder_attention_mask", in.at("decoder_attention_mask"));
  TensorMap a = m->forward(in), b = m->forward(e);
  for (const char* n : {"logits", "encoder_last_hidden_state", "decoder_last_hidden_state"}) {
    CAPTURE(n);
    CHECK(fot::max_abs_diff(a.at(n), b.at(n)) == 0);
  }
  models::LoadOptions o;
  o.arch = "ProphetNetForCausalLM";
  auto c = models::load_model(pn(), o);
  TensorMap ci = causal_inputs(), ce;
  ce.add("inputs_embeds", embed(ci.at("input_ids")));
  ce.add("attention_mask", ci.at("attention_mask"));
  CHECK(fot::max_abs_diff(c->forward(ci).at("logits"), c->forward(ce).at("logits")) == 0);
  e.add("input_ids", in.at("input_ids"));
  CHECK_THROWS_WITH_AS(m->forward(e), doctest::Contains("give input_ids or inputs_embeds, not both"), Error);
}

// The forward-outputs reference is fp32. Quantized ProphetNet is checked on the prophetnet-quant
// fixture (pytorch_quantization's max-calibrated fake quant, its amax table): the tuples' last
// entries are the last hidden states, which must pass that README's fake-quant check (at most 5% of
// the elements beyond 0.01, none beyond 0.1); every entry has Hugging Face's shape; the attention
// probabilities (ProphetNet's attention products stay float: only the Linears are quantized) sum
// to 1 over the keys. int8's last hidden states are compared by the prophetnet_quant tests, not here
// (see bert_outputs_test.cpp).
TEST_CASE("ProphetNet fake quant and int8 (prophetnet-quant, amax_max.json): every tuple entry") {
  const std::string dir = fot::fixture("prophetnet-quant");
  const TensorMap in = read_tensors_arg(dir + "/inputs.safetensors:test");
  const TensorMap want = read_safetensors(dir + "/outputs_max.safetensors");
  for (auto mode : {quant::QuantMode::FakeQuant, quant::QuantMode::Int8}) {
    CAPTURE(static_cast<int>(mode));
    auto m = models::load_model(dir, {"", false});
    quant::apply_amax_table(m->quant_plan(), quant::load_amax_table(dir + "/amax_max.json"), dir + "/amax_max.json");
    m->quant_plan().set_mode(mode);
    m->prepare();
    TensorMap out = m->forward(in, all_outputs());
    const int64_t B = in.at("input_ids").dim(0), S = in.at("input_ids").dim(1), T = in.at("decoder_input_ids").dim(1);
    const int64_t L = 2, NG = 2;
    for (const char* last : {"encoder_last_hidden_state", "decoder_last_hidden_state", "decoder_last_hidden_state_ngram"}) {
      CAPTURE(last);
      if (mode == quant::QuantMode::Int8) break;
      const Tensor &g = out.at(last), &w = want.at(last);
      int64_t beyond = 0;
      for (int64_t i = 0; i < g.numel(); ++i) beyond += std::fabs(g.data<float>()[i] - w.data<float>()[i]) > 0.01;
      CHECK(double(beyond) / double(g.numel()) <= 0.05);
      CHECK(fot::max_abs_diff(g, w) <= 0.1);
    }
    CHECK(fot::max_abs_diff(out.at("encoder_hidden_states.2"), out.at("encoder_last_hidden_state")) == 0);
    CHECK(fot::max_abs_diff(out.at("decoder_hidden_states.2"), out.at("decoder_last_hidden_state")) == 0);
    CHECK(fot::max_abs_diff(out.at("decoder_ngram_hidden_states.2"), out.at("decoder_last_hidden_state_ngram")) == 0);
    const int64_t heads = out.at("encoder_attentions.0").dim(1);
    for (int64_t l = 0; l < L; ++l) {
      const std::string k = std::to_string(l);
      CHECK(out.at("encoder_attentions." + k).shape() == Shape{B, heads, S, S});
      CHECK(out.at("cross_attentions." + k).shape() == Shape{B, heads, (1 + NG) * T, S});
      for (const char* n : {"decoder_attentions.", "decoder_ngram_attentions."}) {
        const Tensor& a = out.at(n + k);
        CHECK(a.shape() == (n[8] == 'a' ? Shape{B, heads, T, T} : Shape{B, NG, heads, T, 2 * T}));
        const int64_t Tk = a.dim(-1);
        double worst = 0;
        for (int64_t r = 0; r < a.numel() / Tk; ++r) {
          double sum = 0;
          for (int64_t j = 0; j < Tk; ++j) sum += a.data<float>()[r * Tk + j];
          worst = std::max(worst, std::fabs(sum - 1));
        }
        CHECK(worst <= 1e-5);
      }
    }
  }
}
