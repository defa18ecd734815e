// ProphetNet's optional forward outputs against transformers 4.37.2
// (tests/fixtures/forward-outputs/prophetnet.safetensors, see its README):
// ProphetNetForConditionalGeneration's encoder_/decoder_/cross_ tuples and its three head masks,
// ProphetNetForCausalLM's hidden_states / attentions tuples (stored under `causal.` there).
#include <memory>

#include "fo_util.h"
#include "models/model.h"
#include "quant/calibrator.h"

using namespace qdq;
using fot::check_close;

namespace {

// forward-outputs README: "as the source fixture's fp32 outputs (about 1e-4 absolute; attention
// probabilities 1e-5)". encoder_attentions / cross_attentions are the scores before the softmax
// (transformers' ProphetNetAttention returns those), values up to ~50: as hidden states, 1e-4
// absolute plus 1e-4 relative; the masked entries are finfo(float32).min exactly.
constexpr double kHidden = 1e-4, kRel = 1e-4, kProbs = 1e-5;

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
    if (is_probs(n)) check_close(out.at(n), ref().at(full), kProbs, 0.0, n);
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

// This random checkpoint has no amax table: max calibration on the test batch itself. Fake quant
// and int8 of ProphetNet quantize the Linears only (its attention products stay float), so their
// attention maps are probabilities computed in float from quantized projections: rows still sum to
// 1, and int8 (integer GEMMs, the same quantization) agrees with fake quant up to float rounding and
// isolated flips. Against fp32 they are compared within the prophetnet-quant fixture's fake-quant
// check (README there: hidden states max abs 0.5).
TEST_CASE("ProphetNet fake quant and int8: every tuple entry; int8 agrees with fake quant") {
  auto calibrated = [&](quant::QuantMode mode) {
    auto m = models::load_model(pn(), {"", false});
    auto& plan = m->quant_plan();
    for (auto& q : plan.all()) q->set_calibrator(quant::make_calibrator("max", q->desc()));
    plan.set_mode(quant::QuantMode::Calibrate);
    m->prepare();
    m->forward(seq2seq_inputs());
    for (auto& q : plan.all()) q->set_amax(*q->calibrator()->compute_amax("max"));
    plan.set_mode(mode);
    m->prepare();
    return m;
  };
  auto fq = calibrated(quant::QuantMode::FakeQuant);
  auto i8 = calibrated(quant::QuantMode::Int8);
  TensorMap a = fq->forward(seq2seq_inputs(), all_outputs()), b = i8->forward(seq2seq_inputs(), all_outputs());
  for (auto& n : ref().names) {
    if (!std::isdigit(static_cast<unsigned char>(n.back())) || n.rfind("causal.", 0) == 0) continue;
    CAPTURE(n);
    REQUIRE(a.has(n));
    REQUIRE(b.has(n));
    const double d_ref = fot::max_abs_diff(a.at(n), ref().at(n)), d_i8 = fot::max_abs_diff(b.at(n), a.at(n));
    MESSAGE(n << ": fake quant vs fp32 " << d_ref << ", int8 vs fake quant " << d_i8);
    if (is_probs(n)) {
      CHECK(d_ref <= 0.5);
      CHECK(d_i8 <= 0.05);
    } else if (n.find("attentions") == std::string::npos) {
      CHECK(d_ref <= 0.5);
      CHECK(d_i8 <= 0.05);
    }
  }
}
