// EncoderDecoderModel with a BERT encoder and a QDQBERT decoder with cross-attention
// (tests/fixtures/qdqbert-decoder, bert2bert/) against transformers 4.37.2: forward, the loss as
// EncoderDecoderModel computes it (labels -> shift_tokens_right, no further shift), the cached
// step with cross K/V computed once, greedy / beam generation, quantizer names.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "bert_decoder/decoder_util.h"
#include "models/bert/lm_decoder.h"
#include "models/encoder_decoder/encoder_decoder_model.h"

using namespace qdq;

namespace {

// README "Recommended (fp32)" for bert2bert/.
constexpr double kHidAtol = 5e-5, kHidRtol = 1e-4, kLogAtol = 2e-4, kLogRtol = 1e-4, kLossAtol = 5e-5,
                 kLossRtol = 1e-5, kBeamScoreAtol = 1e-5;

TensorMap b2b_inputs(const TensorMap& in) {
  TensorMap t;
  t.add("input_ids", in.at("bert2bert.input_ids"));
  t.add("attention_mask", in.at("bert2bert.attention_mask"));
  return t;
}

std::vector<int64_t> cols(const Tensor& x, int64_t from, int64_t to) {
  const int64_t B = x.dim(0), T = x.dim(1);
  auto all = x.to_i64_vector();
  std::vector<int64_t> v;
  for (int64_t b = 0; b < B; ++b) v.insert(v.end(), all.begin() + b * T + from, all.begin() + b * T + to);
  return v;
}

}  // namespace

TEST_CASE("bert2bert fp32 forward, losses and cached step") {
  auto m = models::load_model(bdt::fixture("bert2bert"));
  CHECK(m->arch() == "EncoderDecoderModel");
  auto in = read_safetensors(bdt::fixture("inputs.safetensors"));
  auto ref = read_safetensors(bdt::fixture("outputs.safetensors"));
  ref.add("vocab_cols", in.at("vocab_cols"));

  TensorMap t = b2b_inputs(in);
  t.add("decoder_input_ids", in.at("bert2bert.decoder_input_ids"));
  t.add("decoder_attention_mask", in.at("bert2bert.decoder_attention_mask"));
  auto out = m->forward(t);
  bdt::check_close(out.at("encoder_last_hidden_state"), ref.at("bert2bert.encoder_last_hidden_state"), kHidAtol,
                   kHidRtol, "bert2bert.encoder_last_hidden_state");
  bdt::check_close(out.at("decoder_last_hidden_state"), ref.at("bert2bert.decoder_last_hidden_state"), kHidAtol,
                   kHidRtol, "bert2bert.decoder_last_hidden_state");
  bdt::check_summary(out.at("logits"), ref, "bert2bert.logits", kLogAtol, kLogRtol);

  // Labels only: decoder input = shift_tokens_right(labels), loss over logits vs labels unshifted.
  TensorMap l = b2b_inputs(in);
  l.add("labels", in.at("bert2bert.labels"));
  auto lo = m->forward(l);
  bdt::check_close(lo.at("loss"), ref.at("bert2bert.loss"), kLossAtol, kLossRtol, "bert2bert.loss");
  bdt::check_summary(lo.at("logits"), ref, "bert2bert.logits_labels_only", kLogAtol, kLogRtol);

  // The explicit shift: decoder sees L0[:, :-1], labels[:, 1:].
  const Tensor& labels = in.at("bert2bert.labels");
  const int64_t B = labels.dim(0), TL = labels.dim(1);
  auto l0 = cols(labels, 0, TL - 1);
  std::vector<int64_t> dmask;
  for (auto& v : l0) {
    if (v == -100) v = 0;
    dmask.push_back(v != 0);
  }
  TensorMap e = b2b_inputs(in);
  e.add("decoder_input_ids", Tensor::from_vector(l0, {B, TL - 1}));
  e.add("decoder_attention_mask", Tensor::from_vector(dmask, {B, TL - 1}));
  e.add("labels", Tensor::from_vector(cols(labels, 1, TL), {B, TL - 1}));
  bdt::check_close(m->forward(e).at("loss"), ref.at("bert2bert.loss_explicit_shift"), kLossAtol, kLossRtol,
                   "bert2bert.loss_explicit_shift");

  // Cached: the first Td-1 decoder tokens, then the last with the full decoder mask.
  auto& lm = *dynamic_cast<models::encoder_decoder::EncoderDecoderModel&>(*m).decoder().bert_lm();
  const Tensor& dec = in.at("bert2bert.decoder_input_ids");
  const Tensor& dm = in.at("bert2bert.decoder_attention_mask");
  const Tensor& enc = out.at("encoder_last_hidden_state");
  const int64_t Td = dec.dim(1), S = enc.dim(1);
  auto st = lm.start(B, Td, enc, S, in.at("bert2bert.attention_mask").to_i64_vector());
  auto d0 = cols(dec, 0, Td - 1), m0 = cols(dm, 0, Td - 1), d1 = cols(dec, Td - 1, Td);
  lm.bert().forward_decoder(d0.data(), nullptr, B, Td - 1, m0, *st);
  std::vector<models::bert::KVCache> past = st->self;
  Tensor h = lm.bert().forward_decoder(d1.data(), nullptr, B, 1, dm.to_i64_vector(), *st);
  bdt::check_summary(lm.logits(h), ref, "bert2bert.cached_step.logits", kLogAtol, kLogRtol);
  const int64_t heads = lm.config().num_attention_heads;
  for (size_t i = 0; i < past.size(); ++i) {
    const std::string p = "bert2bert.cached_step.past." + std::to_string(i);
    bdt::check_close(past[i].heads_view(true, heads), ref.at(p + ".self_key"), kHidAtol, kHidRtol, p + ".self_key");
    bdt::check_close(past[i].heads_view(false, heads), ref.at(p + ".self_value"), kHidAtol, kHidRtol,
                     p + ".self_value");
    bdt::check_close(st->cross[i].heads_view(true, heads), ref.at(p + ".cross_key"), kHidAtol, kHidRtol,
                     p + ".cross_key");
    bdt::check_close(st->cross[i].heads_view(false, heads), ref.at(p + ".cross_value"), kHidAtol, kHidRtol,
                     p + ".cross_value");
  }
}

TEST_CASE("bert2bert quantizer names: the decoder's are QDQBertLMHeadModel's under decoder., cross-attention included") {
  auto m = models::load_model(bdt::fixture("bert2bert"));
  std::set<std::string> decoder_names;
  for (auto& q : m->quant_plan().all())
    if (q->name().rfind("decoder.", 0) == 0) decoder_names.insert(q->name());
  // meta.json bert2bert.quantizers (copied as bert2bert_quantizers.json): the decoder's TensorQuantizers
  // in EncoderDecoderModel.named_modules(). The BERT encoder is a plain BertModel in transformers;
  // qdqrt gives it QDQBERT's quant points under encoder.* (as for the ProphetNet-decoder model).
  std::ifstream f(bdt::fixture("bert2bert_quantizers.json"));
  const auto want = nlohmann::json::parse(f).get<std::set<std::string>>();
  CHECK(decoder_names == want);
  CHECK(want.count("decoder.bert.encoder.layer.1.crossattention.self.matmul_a_input_quantizer") == 1);
}

TEST_CASE("bert2bert generate: greedy and beam as transformers 4.37.2") {
  auto m = models::load_model(bdt::fixture("bert2bert"));
  auto& g = dynamic_cast<models::Generative&>(*m);
  auto in = read_safetensors(bdt::fixture("inputs.safetensors"));
  auto ref = read_safetensors(bdt::fixture("generate.safetensors"));
  ref.add("vocab_cols", in.at("vocab_cols"));
  auto r = bdt::prompts(in, "bert2bert.input_ids", "bert2bert.attention_mask");
  auto base = decoding::options_from_json(g.generation_defaults());
  CHECK(base.decoder_start_token_id == 101);
  CHECK(base.eos_token_id == 102);
  CHECK(base.pad_token_id == 0);
  base.max_length = 20;
  for (int64_t eos : {int64_t{-1}, int64_t{14212}}) {
    auto o = base;
    std::string suffix;
    if (eos >= 0) {
      o.eos_token_id = eos;
      suffix = "_eos";
    }
    std::vector<Tensor> steps;
    auto res = decoding::generate(g, r, o, {}, &steps);
    auto got = decoding::to_sequences(res.hyps, res.width, o.pad_token_id).to_i64_vector();
    INFO("greedy got " << bdt::join(got));
    CHECK(got == ref.at("bert2bert.greedy" + suffix + ".sequences").to_i64_vector());
    if (eos < 0) {
      bdt::check_close(steps[0], ref.at("bert2bert.greedy.scores_step0"), kLogAtol, kLogRtol,
                       "bert2bert.greedy.scores_step0");
      bdt::check_summary(bdt::stack_steps(steps), ref, "bert2bert.greedy.scores", kLogAtol, kLogRtol);
    }
    auto b = o;
    b.num_beams = 3;
    b.no_repeat_ngram_size = 3;
    b.early_stopping = decoding::EarlyStopping::True;
    auto br = decoding::generate(g, r, b);
    auto bgot = decoding::to_sequences(br.hyps, br.width, b.pad_token_id).to_i64_vector();
    INFO("beam got " << bdt::join(bgot));
    CHECK(bgot == ref.at("bert2bert.beam" + suffix + ".sequences").to_i64_vector());
    std::vector<float> scores;
    for (auto& h : br.hyps) scores.push_back(static_cast<float>(h.score));
    bdt::check_close(Tensor::from_vector(scores, {static_cast<int64_t>(scores.size())}),
                     ref.at("bert2bert.beam" + suffix + ".sequences_scores"), kBeamScoreAtol, 0,
                     "bert2bert.beam sequences_scores");
  }
}
