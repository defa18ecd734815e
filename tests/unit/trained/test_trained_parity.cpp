// fp32 on the trained models (tests/fixtures/trained/, README there) against
// Hugging Face transformers 4.37.2's own outputs on the first dev records:
//   * bert-section (32 records): the label exactly, the 16 logits within 1e-4 (abs);
//   * prophetnet-synopsis: greedy (16 records) and beam-4 (8) ids exactly (source truncated to 80 tokens,
//     max_new_tokens 32, beam length_penalty 1, early_stopping false);
//   * prophetnet-lm (16 records): greedy ids exactly (24 new tokens) and the LM loss within 1e-4, both in Hugging
//     Face's multi-token n-gram ordering (qdqrt's default --ngram-relpos huggingface), which is how
//     the references were computed (unpatched transformers).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "decoding/generate.h"
#include "models/bert/task_model.h"
#include "models/generative.h"
#include "models/model.h"
#include "text/tokenizer.h"

using namespace qdq;
using nlohmann::json;

namespace {

std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/trained/" + rel; }

std::vector<json> read_jsonl(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::vector<json> out;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

std::vector<int64_t> ids_of(const json& j) { return j.get<std::vector<int64_t>>(); }

// One source or prompt as an unpadded generate request of one row.
decoding::Request one_row(const std::vector<int64_t>& ids) {
  decoding::Request r;
  r.src = ids;
  r.mask.assign(ids.size(), 1);
  r.B = 1;
  r.L = static_cast<int64_t>(ids.size());
  return r;
}

}  // namespace

TEST_CASE("trained bert-section fp32: labels exact and logits within 1e-4 of Hugging Face") {
  auto m = models::load_model(fixture("bert-section"));
  auto& bert = dynamic_cast<models::bert::BertTaskModel&>(*m);
  auto tok = text::load_tokenizer(fixture("bert-section"));
  const auto recs = read_jsonl(fixture("parity/dev-seqcls.jsonl"));
  const auto refs = read_jsonl(fixture("parity/bert-section.ref.jsonl"));
  REQUIRE(recs.size() == refs.size());
  REQUIRE(recs.size() >= 24);
  text::EncodeOptions eo;  // HF: tok(text, text_pair, truncation="longest_first", max_length=80)
  eo.truncate = true;
  eo.max_length = 80;
  // Batches of 8 with padding: the logits must not depend on the other rows.
  double worst = 0;
  for (size_t s = 0; s < recs.size(); s += 8) {
    std::vector<text::Encoding> encs;
    const size_t e = std::min(recs.size(), s + 8);
    for (size_t i = s; i < e; ++i)
      encs.push_back(tok->encode(recs[i]["text"], recs[i]["text_pair"].get<std::string>(), eo));
    const auto out = m->forward(text::pad_batch(encs, tok->pad_id(), true));
    const Tensor& logits = out.at("logits");
    const int64_t L = logits.dim(1);
    REQUIRE(L == bert.config().num_labels());
    for (size_t i = s; i < e; ++i) {
      INFO(refs[i]["id"].get<std::string>());
      CHECK(refs[i]["id"] == recs[i]["id"]);
      const float* row = logits.data<float>() + (i - s) * L;
      const auto want = refs[i]["logits"].get<std::vector<double>>();
      REQUIRE(static_cast<int64_t>(want.size()) == L);
      for (int64_t k = 0; k < L; ++k) worst = std::max(worst, std::fabs(double(row[k]) - static_cast<float>(want[k])));
      const int64_t top = std::max_element(row, row + L) - row;
      CHECK(bert.config().id2label[top] == refs[i]["label"].get<std::string>());
    }
  }
  INFO("worst |logit - HF| " << worst);
  CHECK(worst <= 1e-4);
}

TEST_CASE("trained prophetnet-synopsis fp32: greedy and beam-4 ids equal Hugging Face's generate") {
  auto m = models::load_model(fixture("prophetnet-synopsis"));
  auto& g = dynamic_cast<models::Generative&>(*m);
  auto tok = text::load_tokenizer(fixture("prophetnet-synopsis"));
  auto recs = read_jsonl(fixture("parity/dev-s2s.jsonl"));
  const auto refs = read_jsonl(fixture("parity/prophetnet-synopsis.ref.jsonl"));
  REQUIRE(recs.size() == refs.size());
  REQUIRE(recs.size() >= 16);
  recs.resize(16);  // one row per generate call: 16 records keep the test within seconds
  text::EncodeOptions eo;  // 79 pieces + [SEP]
  eo.truncate = true;
  eo.max_length = 80;
  auto greedy = decoding::options_from_json(g.generation_defaults());
  greedy.num_beams = 1;  // the checkpoint's generation_config.json says 4
  greedy.max_new_tokens = 32;
  auto beam = greedy;
  beam.num_beams = 4;
  beam.length_penalty = 1.0;
  beam.early_stopping = decoding::EarlyStopping::False;
  constexpr size_t kBeamRecords = 8;
  int greedy_same = 0, beam_same = 0;
  for (size_t i = 0; i < recs.size(); ++i) {
    INFO(refs[i]["id"].get<std::string>());
    REQUIRE(refs[i]["id"] == recs[i]["id"]);
    const auto src = tok->encode(recs[i]["text"].get<std::string>(), std::nullopt, eo).input_ids;
    const auto gr = decoding::generate(g, one_row(src), greedy);
    CHECK(gr.hyps[0].tokens == ids_of(refs[i]["greedy"]["ids"]));
    greedy_same += gr.hyps[0].tokens == ids_of(refs[i]["greedy"]["ids"]);
    if (i < kBeamRecords) {  // beam search costs 4 rows a step: fewer records keep the test fast
      const auto br = decoding::generate(g, one_row(src), beam);
      CHECK(br.hyps[0].tokens == ids_of(refs[i]["beam4"]["ids"]));
      beam_same += br.hyps[0].tokens == ids_of(refs[i]["beam4"]["ids"]);
    }
    // The text HF decodes without special tokens.
    CHECK(tok->decode(gr.hyps[0].tokens, true) == refs[i]["greedy"]["text"].get<std::string>());
  }
  CHECK(greedy_same == static_cast<int>(recs.size()));
  CHECK(beam_same == static_cast<int>(kBeamRecords));
}

TEST_CASE("trained prophetnet-lm fp32 (Hugging Face ordering): greedy ids and LM loss equal Hugging Face's") {
  auto m = models::load_model(fixture("prophetnet-lm"));
  auto& g = dynamic_cast<models::Generative&>(*m);
  auto tok = text::load_tokenizer(fixture("prophetnet-lm"));
  auto refs = read_jsonl(fixture("parity/prophetnet-lm.ref.jsonl"));
  REQUIRE(refs.size() >= 16);
  refs.resize(16);
  text::EncodeOptions prompt_eo;  // a prompt: no special tokens ([SEP] is also the eos)
  prompt_eo.add_special_tokens = false;
  text::EncodeOptions loss_eo;
  loss_eo.truncate = true;
  loss_eo.max_length = 48;
  auto greedy = decoding::options_from_json(g.generation_defaults());
  greedy.num_beams = 1;
  greedy.max_new_tokens = 24;
  double worst = 0;
  for (const auto& ref : refs) {
    INFO(ref["id"].get<std::string>());
    const auto prompt = tok->encode(ref["prompt"].get<std::string>(), std::nullopt, prompt_eo).input_ids;
    const auto gr = decoding::generate(g, one_row(prompt), greedy);
    CHECK(gr.hyps[0].tokens == ids_of(ref["greedy"]["ids"]));
    // The loss: pieces = tok(lm_text, truncation=True, max_length=48) (word pieces + [SEP], as the model
    // was trained: labels end with [SEP]), inputs = pieces[:-1], labels = pieces[1:].
    const auto pieces = tok->encode(ref["lm_text"].get<std::string>(), std::nullopt, loss_eo).input_ids;
    REQUIRE(pieces.back() == tok->sep_id());
    const int64_t T = static_cast<int64_t>(pieces.size()) - 1;
    TensorMap in;
    in.add("input_ids", Tensor::from_vector(std::vector<int64_t>(pieces.begin(), pieces.end() - 1), {1, T}));
    in.add("labels", Tensor::from_vector(std::vector<int64_t>(pieces.begin() + 1, pieces.end()), {1, T}));
    const auto out = m->forward(in);
    const double loss = out.at("loss").to_f32().data<float>()[0];
    worst = std::max(worst, std::fabs(loss - ref["loss"].get<double>()));
  }
  INFO("worst |loss - HF| " << worst);
  CHECK(worst <= 1e-4);
}
