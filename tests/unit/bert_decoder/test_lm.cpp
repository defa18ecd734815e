// QDQBertLMHeadModel against transformers 4.37.2 (tests/fixtures/qdqbert-decoder, lm/): fp32
// forward, loss with HF's internal label shift, KV-cached steps, fake quant and int8 with the max
// amax table, greedy / beam generation. Tolerances: the fixture README's recommendations.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "bert_decoder/decoder_util.h"
#include "models/bert/lm_head_model.h"
#include "quant/amax_table.h"

using namespace qdq;

namespace {

// README "Recommended (fp32)" for lm/.
constexpr double kHidAtol = 5e-5, kHidRtol = 1e-4, kLogAtol = 2e-4, kLogRtol = 1e-4, kLossAtol = 2e-5,
                 kLossRtol = 1e-5, kBeamScoreAtol = 1e-5;
// README "Recommended check" for fake quant (at most frac of the elements > 0.01, none > max_abs).
constexpr double kFqHiddenMax = 0.5, kFqLogitsMax = 1.0;

TensorMap lm_inputs(const TensorMap& in, bool with_labels) {
  TensorMap t;
  t.add("input_ids", in.at("lm.input_ids"));
  t.add("attention_mask", in.at("lm.attention_mask"));
  if (with_labels) t.add("labels", in.at("lm.labels"));
  return t;
}

Tensor slice_cols(const Tensor& x, int64_t from, int64_t to) {  // x [B, T] I64 -> [B, to-from]
  const int64_t B = x.dim(0), T = x.dim(1);
  std::vector<int64_t> v;
  auto all = x.to_i64_vector();
  for (int64_t b = 0; b < B; ++b) v.insert(v.end(), all.begin() + b * T + from, all.begin() + b * T + to);
  return Tensor::from_vector(v, {B, to - from});
}

// prefix T-1 tokens (mask[:, :T-1]), then the last one with the full mask: logits of that step.
Tensor cached_last_step(models::bert::BertLmDecoder& lm, const Tensor& ids, const Tensor& mask,
                        models::bert::BertDecoderState* keep) {
  const int64_t B = ids.dim(0), T = ids.dim(1);
  auto st = lm.start(B, T, Tensor(), 0, {});
  auto p_ids = slice_cols(ids, 0, T - 1).to_i64_vector(), p_mask = slice_cols(mask, 0, T - 1).to_i64_vector();
  lm.bert().forward_decoder(p_ids.data(), nullptr, B, T - 1, p_mask, *st);
  if (keep) {
    for (auto& kv : st->self) keep->self.push_back(kv);
  }
  auto last = slice_cols(ids, T - 1, T).to_i64_vector();
  Tensor h = lm.bert().forward_decoder(last.data(), nullptr, B, 1, mask.to_i64_vector(), *st);
  return lm.logits(h);
}

}  // namespace

TEST_CASE("QDQBertLMHeadModel fp32 forward, loss and cached step (safetensors and pytorch_model.bin)") {
  auto in = read_safetensors(bdt::fixture("inputs.safetensors"));
  auto ref = read_safetensors(bdt::fixture("outputs.safetensors"));
  ref.add("vocab_cols", in.at("vocab_cols"));
  for (const char* file : {"model.safetensors", "pytorch_model.bin"}) {
    INFO(file);
    // A directory with only one checkpoint format (symlinks), so both loaders are exercised.
    namespace fs = std::filesystem;
    fs::path d = fs::temp_directory_path() / (std::string("qdqrt_lm_") + file + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    for (const char* f : {"config.json", "generation_config.json", "vocab.txt", file})
      fs::create_symlink(fs::absolute(bdt::fixture(std::string("lm/") + f)), d / f);
    auto m = models::load_model(d.string());
    fs::remove_all(d);
    CHECK(m->arch() == "QDQBertLMHeadModel");
    auto out = m->forward(lm_inputs(in, true));
    bdt::check_close(out.at("last_hidden_state"), ref.at("lm.last_hidden_state"), kHidAtol, kHidRtol,
                     "lm.last_hidden_state");
    bdt::check_summary(out.at("logits"), ref, "lm.logits", kLogAtol, kLogRtol);
    bdt::check_close(out.at("loss"), ref.at("lm.loss"), kLossAtol, kLossRtol, "lm.loss");
    // labels = input_ids: the pads (id 0) count as targets.
    TensorMap pads;
    pads.add("input_ids", in.at("lm.input_ids"));
    pads.add("attention_mask", in.at("lm.attention_mask"));
    pads.add("labels", in.at("lm.input_ids"));
    bdt::check_close(m->forward(pads).at("loss"), ref.at("lm.loss_pads_not_ignored"), kLossAtol, kLossRtol,
                     "lm.loss_pads_not_ignored");

    auto& lm = dynamic_cast<models::bert::LMHeadModel&>(*m).decoder();
    models::bert::BertDecoderState past;
    Tensor step = cached_last_step(lm, in.at("lm.input_ids"), in.at("lm.attention_mask"), &past);
    bdt::check_summary(step, ref, "lm.cached_step.logits", kLogAtol, kLogRtol);
    const int64_t heads = lm.config().num_attention_heads;
    for (size_t i = 0; i < past.self.size(); ++i) {
      const std::string p = "lm.cached_step.past." + std::to_string(i);
      bdt::check_close(past.self[i].heads_view(true, heads), ref.at(p + ".key"), kHidAtol, kHidRtol, p + ".key");
      bdt::check_close(past.self[i].heads_view(false, heads), ref.at(p + ".value"), kHidAtol, kHidRtol, p + ".value");
    }
    TensorMap pr;
    pr.add("input_ids", in.at("lm.prompt_input_ids"));
    pr.add("attention_mask", in.at("lm.prompt_attention_mask"));
    bdt::check_summary(m->forward(pr).at("logits"), ref, "lm.prompt.logits", kLogAtol, kLogRtol);
    bdt::check_summary(cached_last_step(lm, in.at("lm.prompt_input_ids"), in.at("lm.prompt_attention_mask"), nullptr),
                       ref, "lm.prompt_cached_step.logits", kLogAtol, kLogRtol);
  }
}

TEST_CASE("QDQBertLMHeadModel quantizer names are QDQBertLMHeadModel.named_modules()'s") {
  auto m = models::load_model(bdt::fixture("lm"));
  auto table = quant::load_amax_table(bdt::fixture("amax_max.json"));
  std::vector<std::string> want, got;
  for (auto& [name, v] : table) want.push_back(name);
  for (auto& q : m->quant_plan().all()) got.push_back(q->name());
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  CHECK(got == want);
}

TEST_CASE("QDQBertLMHeadModel fake quant and int8 with the max amax table") {
  auto in = read_safetensors(bdt::fixture("inputs.safetensors"));
  auto ref = read_safetensors(bdt::fixture("outputs_max.safetensors"));
  ref.add("vocab_cols", in.at("vocab_cols"));
  auto table = quant::load_amax_table(bdt::fixture("amax_max.json"));
  for (auto mode : {quant::QuantMode::FakeQuant, quant::QuantMode::Int8}) {
    INFO("mode " << static_cast<int>(mode));
    auto m = models::load_model(bdt::fixture("lm"), {"", false});
    quant::apply_amax_table(m->quant_plan(), table, bdt::fixture("amax_max.json"));
    m->quant_plan().set_mode(mode);
    m->prepare();
    if (mode == quant::QuantMode::Int8) {  // the integer kernels really run: linears and attention matmuls
      int64_t int8 = 0;
      for (auto& q : m->quant_plan().all()) int8 += q->plan().kernel == quant::Kernel::Int8;
      CHECK(int8 == 32);  // 40 points less the 8 residual-add ones, which HF applies as fake quant
    }
    auto out = m->forward(lm_inputs(in, false));
    bdt::check_loose(out.at("last_hidden_state"), ref.at("lm.last_hidden_state"), 1.0, kFqHiddenMax,
                     "lm.last_hidden_state (fake quant)");
    bdt::check_summary(out.at("logits"), ref, "lm.logits", 0, 0, kFqLogitsMax);
    // The cached step runs the same plan (int8: I8 keys/values in the cache): equal to the full
    // forward's last position up to float rounding and isolated flips.
    auto& lm = dynamic_cast<models::bert::LMHeadModel&>(*m).decoder();
    Tensor step = cached_last_step(lm, in.at("lm.input_ids"), in.at("lm.attention_mask"), nullptr);
    const Tensor& full = out.at("logits");
    const int64_t B = full.dim(0), T = full.dim(1), V = full.dim(2);
    Tensor last(DType::F32, {B, 1, V});
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(full.data<float>() + (b * T + T - 1) * V, V, last.data<float>() + b * V);
    bdt::check_loose(step, last, 1.0, kFqLogitsMax, "cached step vs full forward (quantized)");
  }
}

TEST_CASE("QDQBertLMHeadModel generate: greedy and beam as transformers 4.37.2") {
  auto m = models::load_model(bdt::fixture("lm"));
  auto& g = dynamic_cast<models::Generative&>(*m);
  auto in = read_safetensors(bdt::fixture("inputs.safetensors"));
  auto ref = read_safetensors(bdt::fixture("generate.safetensors"));
  ref.add("vocab_cols", in.at("vocab_cols"));
  auto r = bdt::prompts(in, "lm.prompt_input_ids", "lm.prompt_attention_mask");
  auto base = decoding::options_from_json(g.generation_defaults());
  CHECK(base.eos_token_id == 102);
  CHECK(base.pad_token_id == 0);
  base.max_new_tokens = 12;
  for (int64_t eos : {int64_t{-1}, int64_t{5978}}) {
    auto o = base;
    std::string suffix;
    if (eos >= 0) {  // the README's early-stop calls: eos_token_id=E
      o.eos_token_id = eos;
      suffix = "_eos";
    }
    std::vector<Tensor> steps;
    auto res = decoding::generate(g, r, o, {}, &steps);
    CHECK(decoding::to_sequences(res.hyps, res.width, o.pad_token_id).to_i64_vector() ==
          ref.at("lm.greedy" + suffix + ".sequences").to_i64_vector());
    if (eos < 0) {
      bdt::check_close(steps[0], ref.at("lm.greedy.scores_step0"), kLogAtol, kLogRtol, "lm.greedy.scores_step0");
      bdt::check_summary(bdt::stack_steps(steps), ref, "lm.greedy.scores", kLogAtol, kLogRtol);
    }
    auto b = o;
    b.num_beams = 3;
    b.no_repeat_ngram_size = 3;
    b.early_stopping = decoding::EarlyStopping::True;
    auto br = decoding::generate(g, r, b);
    INFO("beam got " << bdt::join(decoding::to_sequences(br.hyps, br.width, b.pad_token_id).to_i64_vector()));
    CHECK(decoding::to_sequences(br.hyps, br.width, b.pad_token_id).to_i64_vector() ==
          ref.at("lm.beam" + suffix + ".sequences").to_i64_vector());
    std::vector<float> scores;
    for (auto& h : br.hyps) scores.push_back(static_cast<float>(h.score));
    bdt::check_close(Tensor::from_vector(scores, {static_cast<int64_t>(scores.size())}),
                     ref.at("lm.beam" + suffix + ".sequences_scores"), kBeamScoreAtol, 0, "lm.beam sequences_scores");
  }
}
