// generate against transformers 4.37.2 fixtures (tests/fixtures/prophetnet,
// tests/fixtures/encoder-decoder generate.safetensors): token ids exactly,
// processed scores atol 0.01 (prophetnet) / 1e-4 (encoder-decoder), beam
// sequences_scores atol 1e-4 / 1e-5, as the fixtures' READMEs recommend.
#include <unistd.h>

#include "../prophetnet/fixture_util.h"
#include "request_util.h"
#include "decoding/generate.h"
#include "models/model.h"

using namespace qdq;

namespace {

using test::gen;
using test::request;

decoding::Options greedy_opts(models::Generative& g, int64_t max_length) {
  auto o = decoding::options_from_json(g.generation_defaults());
  o.max_length = max_length;
  return o;
}

decoding::Options beam_opts(models::Generative& g, int64_t max_length, int64_t beams, int64_t nrs) {
  auto o = greedy_opts(g, max_length);
  o.num_beams = beams;
  o.no_repeat_ngram_size = 3;
  o.length_penalty = 1.0;
  o.early_stopping = decoding::EarlyStopping::True;
  o.num_return_sequences = nrs;
  return o;
}

// Stacks per-step scores [B, V] into [B, steps, V].
Tensor stack_steps(const std::vector<Tensor>& steps) {
  const int64_t B = steps[0].dim(0), V = steps[0].dim(1), S = static_cast<int64_t>(steps.size());
  Tensor t(DType::F32, {B, S, V});
  for (int64_t s = 0; s < S; ++s)
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(steps[s].data<float>() + b * V, V, t.data<float>() + (b * S + s) * V);
  return t;
}

void check_greedy(models::Generative& g, const decoding::Request& r, const TensorMap& ref, const std::string& key,
                  int64_t max_length, const Tensor& cols, double atol) {
  auto o = greedy_opts(g, max_length);
  std::vector<Tensor> steps;
  auto res = decoding::generate(g, r, o, {}, &steps);
  Tensor seq = decoding::to_sequences(res.hyps, res.width, o.pad_token_id);
  INFO(key);
  CHECK(seq.shape() == ref.at(key + ".sequences").shape());
  CHECK(seq.to_i64_vector() == ref.at(key + ".sequences").to_i64_vector());
  pnt::check_close(steps[0], ref.at(key + ".scores_step0"), atol, 1e-4, key + ".scores_step0");
  pnt::check_summary(stack_steps(steps), ref, key + ".scores", cols, atol, 1e-4);
}

void check_beam(models::Generative& g, const decoding::Request& r, const TensorMap& ref, const std::string& key,
                int64_t max_length, int64_t beams, int64_t nrs, double atol) {
  auto o = beam_opts(g, max_length, beams, nrs);
  auto res = decoding::generate(g, r, o);
  Tensor seq = decoding::to_sequences(res.hyps, res.width, o.pad_token_id);
  INFO(key);
  CHECK(seq.shape() == ref.at(key + ".sequences").shape());
  CHECK(seq.to_i64_vector() == ref.at(key + ".sequences").to_i64_vector());
  std::vector<float> sc;
  for (auto& h : res.hyps) sc.push_back(static_cast<float>(h.score));
  pnt::check_close(Tensor::from_vector(sc, {static_cast<int64_t>(sc.size())}), ref.at(key + ".sequences_scores"),
                   atol, 0, key + ".sequences_scores");
}

}  // namespace

TEST_CASE("prophetnet seq2seq generate: greedy and beam reproduce transformers") {
  auto m = models::load_model(pnt::fixture("prophetnet"));
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/generate.safetensors"));
  auto r = request(in, "encoder_input_ids", "encoder_attention_mask");
  check_greedy(gen(*m), r, ref, "seq2seq_greedy", 24, in.at("vocab_cols"), 0.01);
  check_beam(gen(*m), r, ref, "seq2seq_beam", 24, 4, 2, 1e-4);
}

TEST_CASE("prophetnet causal LM generate (pytorch_model.bin): greedy and beam reproduce transformers") {
  auto m = models::load_model(pnt::bin_only_dir(pnt::fixture("prophetnet"), "gen"), {"ProphetNetForCausalLM"});
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/generate.safetensors"));
  auto r = request(in, "prompt_input_ids", "prompt_attention_mask");
  check_greedy(gen(*m), r, ref, "causal_greedy", 24, in.at("vocab_cols"), 0.01);
  check_beam(gen(*m), r, ref, "causal_beam", 24, 4, 2, 1e-4);
}

TEST_CASE("encoder-decoder (BERT + ProphetNet) generate reproduces transformers") {
  auto m = models::load_model(pnt::fixture("encoder-decoder"));
  auto in = read_safetensors(pnt::fixture("encoder-decoder/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("encoder-decoder/generate.safetensors"));
  auto r = request(in, "input_ids", "attention_mask");
  check_greedy(gen(*m), r, ref, "greedy", 20, in.at("vocab_cols"), 1e-4);
  check_beam(gen(*m), r, ref, "beam", 20, 3, 1, 1e-5);
}
