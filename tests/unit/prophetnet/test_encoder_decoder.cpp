// EncoderDecoderModel (BERT encoder + ProphetNet decoder) forward and losses
// against tests/fixtures/encoder-decoder (transformers 4.37.2), and the n-gram
// relative-position semantics: transformers' full forward (greedy_no_cache)
// vs cached steps, and the original semantics where both agree.
#include "fixture_util.h"
#include "decoding/generate.h"
#include "models/model.h"
#include "models/prophetnet/gen_state.h"

using namespace qdq;

namespace {
constexpr double kHid = 5e-5, kLog = 1e-4, kLoss = 5e-5;

Tensor cols(const Tensor& t, int64_t from, int64_t to) {  // t[:, from:to]
  auto v = t.to_i64_vector();
  const int64_t B = t.dim(0), T = t.dim(1);
  std::vector<int64_t> o;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = from; j < to; ++j) o.push_back(v[b * T + j]);
  return Tensor::from_vector(o, {B, to - from});
}

Tensor replace(const Tensor& t, int64_t from, int64_t to) {
  auto v = t.to_i64_vector();
  for (auto& x : v)
    if (x == from) x = to;
  return Tensor::from_vector(v, t.shape());
}

// Greedy decoding where every step is a full decoder forward over the prefix (use_cache=False).
std::vector<int64_t> greedy_full_forward(models::Model& m, const TensorMap& in, int64_t max_length) {
  const int64_t B = in.at("input_ids").dim(0);
  std::vector<std::vector<int64_t>> seqs(B, std::vector<int64_t>{102});
  std::vector<char> done(B, 0);
  for (int64_t len = 1; len < max_length; ++len) {
    std::vector<int64_t> flat;
    for (auto& s : seqs) flat.insert(flat.end(), s.begin(), s.end());
    TensorMap x;
    x.add("input_ids", in.at("input_ids"));
    x.add("attention_mask", in.at("attention_mask"));
    x.add("decoder_input_ids", Tensor::from_vector(flat, {B, len}));
    Tensor lg = m.forward(x).at("logits");
    const int64_t V = lg.dim(2);
    for (int64_t b = 0; b < B; ++b) {
      const float* p = lg.data<float>() + (b * len + len - 1) * V;
      int64_t best = std::max_element(p, p + V) - p;
      if (done[b]) best = 0;
      if (best == 102) done[b] = 1;
      seqs[b].push_back(best);
    }
  }
  std::vector<int64_t> flat;
  for (auto& s : seqs) flat.insert(flat.end(), s.begin(), s.end());
  return flat;
}
}  // namespace

TEST_CASE("encoder-decoder forward and losses match transformers") {
  auto m = models::load_model(pnt::fixture("encoder-decoder"));
  CHECK(m->arch() == "EncoderDecoderModel");
  auto in = read_safetensors(pnt::fixture("encoder-decoder/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("encoder-decoder/outputs.safetensors"));
  const Tensor& vc = in.at("vocab_cols");
  TensorMap x;
  for (const char* k : {"input_ids", "attention_mask", "decoder_input_ids", "decoder_attention_mask"})
    x.add(k, in.at(k));
  auto o = m->forward(x);
  CHECK(!o.has("logits_ngram"));
  pnt::check_close(o.at("encoder_last_hidden_state"), ref.at("encoder_last_hidden_state"), kHid, 1e-4, "enc");
  pnt::check_close(o.at("decoder_last_hidden_state"), ref.at("decoder_last_hidden_state"), kHid, 1e-4, "dec");
  pnt::check_close(o.at("decoder_last_hidden_state_ngram"), ref.at("decoder_last_hidden_state_ngram"), kHid, 1e-4,
                   "dec ngram");
  pnt::check_summary(o.at("logits"), ref, "logits", vc, kLog, 1e-4);
  pnt::check_summary(o.at("decoder_logits_ngram"), ref, "decoder_logits_ngram", vc, kLog, 1e-4);

  const Tensor& labels = in.at("labels");
  const int64_t T = labels.dim(1);
  TensorMap l;
  l.add("input_ids", in.at("input_ids"));
  l.add("attention_mask", in.at("attention_mask"));
  l.add("decoder_input_ids", cols(labels, 0, T - 1));
  l.add("labels", cols(labels, 1, T));
  pnt::check_close(m->forward(l).at("loss"), ref.at("loss"), kLoss, 0, "loss");
  TensorMap l2 = l;
  l2.tensors["labels"] = replace(cols(labels, 1, T), 0, -100);
  pnt::check_close(m->forward(l2).at("loss"), ref.at("loss_pad_ignored"), kLoss, 0, "loss_pad_ignored");
  TensorMap l3;
  l3.add("input_ids", in.at("input_ids"));
  l3.add("attention_mask", in.at("attention_mask"));
  l3.add("labels", replace(labels, 0, -100));
  auto o3 = m->forward(l3);
  pnt::check_close(o3.at("loss"), ref.at("loss_labels_only"), kLoss, 0, "loss_labels_only");
  pnt::check_summary(o3.at("logits"), ref, "logits_labels_only", vc, kLog, 1e-4);
}

TEST_CASE("n-gram relative positions: transformers' full forward vs cached steps vs original semantics") {
  auto m = models::load_model(pnt::fixture("encoder-decoder"));
  auto& g = dynamic_cast<models::Generative&>(*m);
  auto in = read_safetensors(pnt::fixture("encoder-decoder/inputs.safetensors"));
  auto ref = read_safetensors(pnt::fixture("encoder-decoder/generate.safetensors"));
  // transformers' default: full forwards reproduce greedy_no_cache, which differs from the cached greedy.
  auto hf = greedy_full_forward(*m, in, 20);
  CHECK(hf == ref.at("greedy_no_cache.sequences").to_i64_vector());
  CHECK(hf != ref.at("greedy.sequences").to_i64_vector());
  // Original semantics: a full forward per step gives what the cached steps give.
  dynamic_cast<models::prophetnet::NgramRelPosOption&>(*m).set_ngram_relpos(models::prophetnet::RelPosMode::Original);
  auto orig = greedy_full_forward(*m, in, 20);
  CHECK(orig == ref.at("greedy.sequences").to_i64_vector());
  decoding::Request r;
  r.src = in.at("input_ids").to_i64_vector();
  r.mask = in.at("attention_mask").to_i64_vector();
  r.B = in.at("input_ids").dim(0);
  r.L = in.at("input_ids").dim(1);
  auto o = decoding::options_from_json(g.generation_defaults());
  o.max_length = 20;
  auto res = decoding::generate(g, r, o);
  CHECK(decoding::to_sequences(res.hyps, res.width, 0).to_i64_vector() == ref.at("greedy.sequences").to_i64_vector());
}

TEST_CASE("cached steps equal the full forward under original semantics; modes agree for one token") {
  auto m = models::load_model(pnt::fixture("prophetnet"), {"ProphetNetForCausalLM"});
  auto& g = dynamic_cast<models::Generative&>(*m);
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  auto ids = in.at("causal_input_ids");
  const int64_t T = 8, V = 30522;
  std::vector<int64_t> row;
  for (int64_t t = 0; t < T; ++t) row.push_back(ids.to_i64_vector()[t]);
  // One token: both modes give the same logits.
  TensorMap one;
  one.add("input_ids", Tensor::from_vector(std::vector<int64_t>{row[0]}, {1, 1}));
  Tensor a = m->forward(one).at("logits");
  dynamic_cast<models::prophetnet::NgramRelPosOption&>(*m).set_ngram_relpos(models::prophetnet::RelPosMode::Original);
  Tensor b = m->forward(one).at("logits");
  pnt::check_close(a, b, 0, 0, "T=1 HuggingFace vs Original");
  // Original full forward over T tokens vs prefill(1) + cached steps (main stream + stream 0 only).
  TensorMap full;
  full.add("input_ids", Tensor::from_vector(row, {1, T}));
  Tensor lf = m->forward(full).at("logits");
  auto st = g.start({}, 1, 1, {}, 1, T + 1);
  Tensor step = g.prefill(*st, {row[0]}, 1);
  for (int64_t t = 0; t < T; ++t) {
    Tensor want(DType::F32, {1, V});
    std::copy_n(lf.data<float>() + t * V, V, want.data<float>());
    pnt::check_close(step, want, 1e-4, 1e-4, "step " + std::to_string(t));
    if (t + 1 < T) step = g.step(*st, {row[t + 1]});
  }
}

TEST_CASE("--ngram-relpos is a load option: the loaded model runs the chosen semantics in forward") {
  auto in = read_safetensors(pnt::fixture("prophetnet/inputs.safetensors"));
  std::vector<int64_t> row;
  for (int64_t t = 0; t < 8; ++t) row.push_back(in.at("causal_input_ids").to_i64_vector()[t]);
  TensorMap full;
  full.add("input_ids", Tensor::from_vector(row, {1, 8}));
  models::LoadOptions lo;
  lo.arch = "ProphetNetForCausalLM";
  auto by_setter = models::load_model(pnt::fixture("prophetnet"), lo);
  const Tensor hf = by_setter->forward(full).at("logits");
  dynamic_cast<models::prophetnet::NgramRelPosOption&>(*by_setter)
      .set_ngram_relpos(models::prophetnet::RelPosMode::Original);
  const Tensor orig = by_setter->forward(full).at("logits");
  lo.ngram_relpos = "original";
  const Tensor loaded = models::load_model(pnt::fixture("prophetnet"), lo)->forward(full).at("logits");
  pnt::check_close(loaded, orig, 0, 0, "load option original vs setter");
  // Several decoder tokens: the two semantics really differ (else this test would prove nothing).
  double diff = 0;
  for (int64_t i = 0; i < hf.numel(); ++i)
    diff = std::max(diff, static_cast<double>(std::fabs(hf.data<float>()[i] - orig.data<float>()[i])));
  CHECK(diff > 1e-3);
  lo.ngram_relpos = "huggingface";
  const Tensor hf2 = models::load_model(pnt::fixture("prophetnet"), lo)->forward(full).at("logits");
  pnt::check_close(hf2, hf, 0, 0, "load option huggingface vs default");
}
