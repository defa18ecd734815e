// Full forward of ProphetNetForConditionalGeneration / ForCausalLM against the
// transformers 4.37.2 fixture (tests/fixtures/prophetnet/README.md), both
// checkpoint formats. Tolerances: meta.json recommended_tolerance.
#include <unistd.h>

#include "fixture_util.h"
#include "models/model.h"

using namespace qdq;

namespace {
constexpr double kHidAtol = 0.002, kLogAtol = 0.01, kRtol = 1e-4;

void check_seq2seq(const std::string& dir) {
  auto m = models::load_model(dir);
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/outputs.safetensors"));
  TensorMap x;
  x.add("input_ids", in.at("encoder_input_ids"));
  x.add("attention_mask", in.at("encoder_attention_mask"));
  x.add("decoder_input_ids", in.at("decoder_input_ids"));
  x.add("decoder_attention_mask", in.at("decoder_attention_mask"));
  auto o = m->forward(x);
  pnt::check_close(o.at("encoder_last_hidden_state"), ref.at("encoder_last_hidden_state"), kHidAtol, kRtol, "enc");
  pnt::check_close(o.at("decoder_last_hidden_state"), ref.at("decoder_last_hidden_state"), kHidAtol, kRtol, "dec");
  pnt::check_close(o.at("decoder_last_hidden_state_ngram"), ref.at("decoder_last_hidden_state_ngram"), kHidAtol,
                   kRtol, "dec ngram");
  pnt::check_close(o.at("logits"), ref.at("logits"), kLogAtol, kRtol, "logits");
  pnt::check_summary(o.at("logits_ngram"), ref, "logits_ngram", in.at("vocab_cols"), kLogAtol, kRtol);
  CHECK(!o.has("loss"));
}

void check_causal(const std::string& dir) {
  auto m = models::load_model(dir, {"ProphetNetForCausalLM"});
  CHECK(m->arch() == "ProphetNetForCausalLM");
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/outputs.safetensors"));
  TensorMap x;
  x.add("input_ids", in.at("causal_input_ids"));
  x.add("attention_mask", in.at("causal_attention_mask"));
  auto o = m->forward(x);
  pnt::check_close(o.at("last_hidden_state"), ref.at("causal_last_hidden_state"), kHidAtol, kRtol, "main");
  pnt::check_close(o.at("last_hidden_state_ngram"), ref.at("causal_last_hidden_state_ngram"), kHidAtol, kRtol,
                   "ngram");
  pnt::check_summary(o.at("logits"), ref, "causal_logits", in.at("vocab_cols"), kLogAtol, kRtol);
  pnt::check_summary(o.at("logits_ngram"), ref, "causal_logits_ngram", in.at("vocab_cols"), kLogAtol, kRtol);
}
}  // namespace

TEST_CASE("prophetnet seq2seq forward matches transformers (model.safetensors)") {
  check_seq2seq(pnt::fixture("prophetnet"));
}

TEST_CASE("prophetnet seq2seq forward matches transformers (pytorch_model.bin)") {
  check_seq2seq(pnt::bin_only_dir(pnt::fixture("prophetnet"), "s2s"));
}

TEST_CASE("prophetnet causal LM forward matches transformers (both formats)") {
  check_causal(pnt::fixture("prophetnet"));
  check_causal(pnt::bin_only_dir(pnt::fixture("prophetnet"), "clm"));
}
