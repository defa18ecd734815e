// Speculative decoding (decoding/speculative.h): prompt lookup's candidates as transformers
// v4.37.2 PromptLookupCandidateGenerator picks them, and on the random ProphetNet and
// EncoderDecoderModel fixtures greedy output with --speculative streams, prompt lookup and both
// equal to transformers' greedy `sequences` and to plain greedy under logits processors; a batch
// of two rows accepts independently. (The trained models: tests/cli/speculative.sh.)
#include "../prophetnet/fixture_util.h"
#include "request_util.h"
#include "decoding/generate.h"
#include "decoding/speculative.h"
#include "models/model.h"

using namespace qdq;

namespace {

using test::gen;
using test::request;

std::vector<int64_t> sequences(const decoding::Result& res, const decoding::Options& o) {
  return decoding::to_sequences(res.hyps, res.width, o.pad_token_id).to_i64_vector();
}

// Greedy in every speculative mode against `want` (HF's sequences, or plain greedy's).
void check_modes(models::Generative& g, const decoding::Request& r, decoding::Options o,
                 const std::vector<int64_t>& want) {
  struct Mode {
    decoding::Speculative s;
    int64_t pl;
  };
  for (Mode m : {Mode{decoding::Speculative::Streams, 0}, Mode{decoding::Speculative::Off, 3},
                 Mode{decoding::Speculative::Streams, 10}}) {
    o.speculative = m.s;
    o.prompt_lookup_num_tokens = m.pl;
    o.max_matching_ngram_size = 1;  // short random sequences: let unigrams match too
    auto res = decoding::generate(g, r, o);
    INFO("streams " << (m.s == decoding::Speculative::Streams) << " prompt lookup " << m.pl);
    CHECK(sequences(res, o) == want);
    CHECK(res.row_forwards > 0);
    CHECK(res.drafts_accepted <= res.drafts_proposed);
  }
}

void check_fixture(models::Generative& g, const decoding::Request& r, const TensorMap& ref, const std::string& key,
                   int64_t max_length) {
  auto o = decoding::options_from_json(g.generation_defaults());
  o.max_length = max_length;
  check_modes(g, r, o, ref.at(key + ".sequences").to_i64_vector());
  // Processors see the same sequence at every verified position as in plain decoding.
  o.no_repeat_ngram_size = 2;
  o.repetition_penalty = 1.3;
  o.min_length = max_length - 4;
  const auto plain = sequences(decoding::generate(g, r, o), o);
  check_modes(g, r, o, plain);
}

}  // namespace

TEST_CASE("prompt lookup: HF PromptLookupCandidateGenerator candidates") {
  using decoding::prompt_lookup;
  // Last bigram (7, 8) occurs at 1: the 3 tokens after it.
  CHECK(prompt_lookup({5, 7, 8, 1, 2, 3, 4, 7, 8}, 3, 2) == std::vector<int64_t>{1, 2, 3});
  // The continuation is cut at the sequence's end (num_tokens 10).
  CHECK(prompt_lookup({5, 7, 8, 1, 7, 8}, 10, 2) == std::vector<int64_t>{1, 7, 8});
  // No earlier bigram: the unigram 8 matches at 2 (the earliest occurrence wins).
  CHECK(prompt_lookup({8, 3, 8, 4, 9, 8}, 2, 2) == std::vector<int64_t>{3, 8});
  // Only the last token itself matches: no candidates; max_matching_ngram_size 1 ignores bigrams.
  CHECK(prompt_lookup({1, 2, 3}, 5, 2).empty());
  CHECK(prompt_lookup({4, 5, 9, 4, 5}, 2, 1) == std::vector<int64_t>{9, 4});
  CHECK(prompt_lookup({4}, 5, 3).empty());
}

TEST_CASE("speculative greedy on the ProphetNet seq2seq fixture equals transformers' greedy") {
  auto m = models::load_model(pnt::fixture("prophetnet"));
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/generate.safetensors"));
  check_fixture(gen(*m), request(in, "encoder_input_ids", "encoder_attention_mask"), ref, "seq2seq_greedy", 24);
}

TEST_CASE("speculative greedy on the ProphetNet causal LM fixture equals transformers' greedy") {
  models::LoadOptions lo;
  lo.arch = "ProphetNetForCausalLM";
  auto m = models::load_model(pnt::fixture("prophetnet"), lo);
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/generate.safetensors"));
  check_fixture(gen(*m), request(in, "prompt_input_ids", "prompt_attention_mask"), ref, "causal_greedy", 24);
}

TEST_CASE("speculative greedy on the EncoderDecoderModel fixture equals transformers' greedy") {
  auto m = models::load_model(pnt::fixture("encoder-decoder"));
  auto in = read_safetensors(pnt::fixture("encoder-decoder/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("encoder-decoder/generate.safetensors"));
  check_fixture(gen(*m), request(in, "input_ids", "attention_mask"), ref, "greedy", 20);
}

TEST_CASE("speculative sampling: a one-token distribution gives greedy's output; draws repeat with the seed") {
  auto m = models::load_model(pnt::fixture("prophetnet"));
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("prophetnet/generate.safetensors"));
  auto r = request(in, "encoder_input_ids", "encoder_attention_mask");
  auto o = decoding::options_from_json(gen(*m).generation_defaults());
  o.max_length = 24;
  o.do_sample = true;
  o.top_k = 1;  // p and q are point masses: accept iff the draft is the argmax, else the residual is it
  o.seed = 5;
  o.speculative = decoding::Speculative::Streams;
  CHECK(sequences(decoding::generate(gen(*m), r, o), o) == ref.at("seq2seq_greedy.sequences").to_i64_vector());
  o.top_k = 0;
  o.temperature = 1.5;
  auto a = decoding::generate(gen(*m), r, o), b = decoding::generate(gen(*m), r, o);
  CHECK(sequences(a, o) == sequences(b, o));
}

TEST_CASE("speculative decoding refuses beam search and models without n-gram streams") {
  auto m = models::load_model(pnt::fixture("prophetnet"));
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto r = request(in, "encoder_input_ids", "encoder_attention_mask");
  auto o = decoding::options_from_json(gen(*m).generation_defaults());
  o.max_length = 10;
  o.num_beams = 2;
  o.speculative = decoding::Speculative::Streams;
  CHECK_THROWS_WITH_AS(decoding::generate(gen(*m), r, o), doctest::Contains("not with beam search"), Error);
}

namespace {
std::string qdqbert(const std::string& rel) { return pnt::fixture("qdqbert-decoder/" + rel); }

// Prompt lookup (no streams) on a QDQBERT decoder: its rows share one cache length, so each row
// decodes in its own state; ids equal transformers' greedy (with and without the early eos).
void check_prompt_lookup(models::Generative& g, const decoding::Request& r, decoding::Options o, const TensorMap& ref,
                         const std::string& key, int64_t eos) {
  if (eos >= 0) o.eos_token_id = eos;
  const std::string k = key + (eos >= 0 ? "_eos" : "") + ".sequences";
  o.prompt_lookup_num_tokens = 4;
  o.max_matching_ngram_size = 1;
  auto res = decoding::generate(g, r, o);
  INFO(k);
  CHECK(sequences(res, o) == ref.at(k).to_i64_vector());
  CHECK(res.row_forwards > 0);
}
}  // namespace

TEST_CASE("prompt lookup on the QDQBERT decoder fixtures (QDQBertLMHeadModel, bert2bert) equals transformers' greedy") {
  auto in = read_safetensors(qdqbert("inputs.safetensors"));
  auto ref = read_safetensors(qdqbert("generate.safetensors"));
  {
    auto m = models::load_model(qdqbert("lm"));
    auto o = decoding::options_from_json(gen(*m).generation_defaults());
    o.max_new_tokens = 12;
    for (int64_t eos : {int64_t{-1}, int64_t{5978}})
      check_prompt_lookup(gen(*m), request(in, "lm.prompt_input_ids", "lm.prompt_attention_mask"), o, ref, "lm.greedy", eos);
    o.speculative = decoding::Speculative::Streams;
    CHECK_THROWS_WITH_AS(decoding::generate(gen(*m), request(in, "lm.prompt_input_ids", "lm.prompt_attention_mask"), o),
                         doctest::Contains("n-gram predicting streams"), Error);
  }
  auto m = models::load_model(qdqbert("bert2bert"));
  auto o = decoding::options_from_json(gen(*m).generation_defaults());
  o.max_length = 20;
  for (int64_t eos : {int64_t{-1}, int64_t{14212}})
    check_prompt_lookup(gen(*m), request(in, "bert2bert.input_ids", "bert2bert.attention_mask"), o, ref,
                        "bert2bert.greedy", eos);
}
