// qdqrt generate: Hugging Face `generate` for ProphetNet (seq2seq, causal LM)
// and EncoderDecoderModel. Text in (arguments, -i FILE of lines or JSONL with
// "text", or stdin), decoded text out; or tensors in/out (input_ids ->
// sequences, sequences_scores). Defaults: generation_config.json, then
// config.json, then transformers' defaults; flags override.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "decoding/generate.h"
#include "io/atomic_file.h"
#include "model_options.h"
#include "models/prophetnet/generative.h"
#include "text/tokenizer.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct GenerateCli {
  ModelOptions model;
  TextInputOptions text_in;
  std::string output, tensors_in, tensors_out, ngram_relpos = "huggingface", early_stopping;
  std::optional<int64_t> max_length, max_new_tokens, min_length, min_new_tokens, num_beams, no_repeat_ngram_size,
      num_return_sequences, top_k;
  std::optional<double> length_penalty, temperature, top_p, repetition_penalty;
  bool do_sample = false;
  uint64_t seed = 0;
  int64_t batch_size = 8;
};

decoding::Options options_of(const GenerateCli& c, models::Generative& g) {
  auto o = decoding::options_from_json(g.generation_defaults());
  if (c.max_length) o.max_length = *c.max_length;
  if (c.max_new_tokens) o.max_new_tokens = *c.max_new_tokens;
  if (c.min_length) o.min_length = *c.min_length;
  if (c.min_new_tokens) o.min_new_tokens = *c.min_new_tokens;
  if (c.num_beams) o.num_beams = *c.num_beams;
  if (c.no_repeat_ngram_size) o.no_repeat_ngram_size = *c.no_repeat_ngram_size;
  if (c.num_return_sequences) o.num_return_sequences = *c.num_return_sequences;
  if (c.top_k) o.top_k = *c.top_k;
  if (c.length_penalty) o.length_penalty = *c.length_penalty;
  if (c.temperature) o.temperature = *c.temperature;
  if (c.top_p) o.top_p = *c.top_p;
  if (c.repetition_penalty) o.repetition_penalty = *c.repetition_penalty;
  if (!c.early_stopping.empty()) o.early_stopping = decoding::parse_early_stopping(c.early_stopping);
  if (c.do_sample) o.do_sample = true;
  o.seed = c.seed;
  if (o.pad_token_id < 0) o.pad_token_id = 0;
  decoding::validate(o, g.vocab_size());
  return o;
}

// Batches of input indices. Causal LM prompts are grouped by length (a batch
// must be unpadded); sources are sorted by length so padding stays small.
std::vector<std::vector<size_t>> make_batches(const std::vector<std::vector<int64_t>>& ids, bool causal,
                                              int64_t batch_size) {
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  std::vector<std::vector<size_t>> out;
  for (size_t i : order) {
    if (out.empty() || static_cast<int64_t>(out.back().size()) >= batch_size ||
        (causal && ids[out.back().front()].size() != ids[i].size()))
      out.emplace_back();
    out.back().push_back(i);
  }
  return out;
}

decoding::Request request_of(const std::vector<std::vector<int64_t>>& ids, const std::vector<size_t>& rows,
                             int64_t pad) {
  decoding::Request r;
  r.B = static_cast<int64_t>(rows.size());
  for (size_t i : rows) r.L = std::max<int64_t>(r.L, ids[i].size());
  for (size_t i : rows) {
    for (int64_t t = 0; t < r.L; ++t) {
      const bool in = t < static_cast<int64_t>(ids[i].size());
      r.src.push_back(in ? ids[i][t] : pad);
      r.mask.push_back(in ? 1 : 0);
    }
  }
  return r;
}

// Generation figures over all batches, logged at info level (scripts/bench_generate.sh reads them).
struct GenStats {
  double prefill_s = 0, decode_s = 0;
  int64_t inputs = 0, new_tokens = 0, decode_tokens = 0;
  void add(const decoding::Result& r, int64_t batch) {
    prefill_s += r.prefill_seconds;
    decode_s += r.decode_seconds;
    inputs += batch;
    new_tokens += batch * (r.steps + 1);
    decode_tokens += batch * r.steps;
  }
  void log() const {
    spdlog::info("generate: {} inputs, prompt/encode + first token {:.3f} s, {} new tokens, decode {:.3f} s, "
                 "{:.2f} new tokens/s (after the first)",
                 inputs, prefill_s, new_tokens, decode_s, decode_s > 0 ? decode_tokens / decode_s : 0.0);
  }
};

int run_tensors(const GenerateCli& c, models::Generative& g, const decoding::Options& o) {
  check(!c.tensors_out.empty(), "--tensors-in needs --tensors-out");
  TensorMap in = read_tensors_arg(c.tensors_in);
  check(in.has("input_ids"), "{}: no input_ids", c.tensors_in);
  const Tensor& t = in.at("input_ids");
  check(t.ndim() == 2 && !dtype_is_float(t.dtype()), "{}: input_ids must be an integer [batch, length] tensor",
        c.tensors_in);
  const int64_t B = t.dim(0), L = t.dim(1);
  auto v = t.to_i64_vector();
  std::vector<int64_t> mask = in.has("attention_mask") ? in.at("attention_mask").to_i64_vector()
                                                       : std::vector<int64_t>(B * L, 1);
  check(static_cast<int64_t>(mask.size()) == B * L, "{}: attention_mask does not match input_ids", c.tensors_in);
  // Unpad each row (the mask says which tokens are real), then batch as for text.
  std::vector<std::vector<int64_t>> ids(B);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < L; ++j)
      if (mask[b * L + j]) ids[b].push_back(v[b * L + j]);
  std::vector<std::vector<decoding::Hypothesis>> per(B);
  int64_t width = 0;
  bool scored = false;
  GenStats stats;
  for (auto& rows : make_batches(ids, !g.is_encoder_decoder(), c.batch_size)) {
    auto r = request_of(ids, rows, o.pad_token_id);
    r.first_index = static_cast<int64_t>(rows.front());
    auto res = decoding::generate(g, r, o);
    stats.add(res, r.B);
    width = std::max(width, res.width);
    scored = res.scored;
    for (size_t k = 0; k < rows.size(); ++k)
      for (int64_t j = 0; j < o.num_return_sequences; ++j)
        per[rows[k]].push_back(res.hyps[k * o.num_return_sequences + j]);
  }
  stats.log();
  std::vector<decoding::Hypothesis> all;
  for (auto& p : per) all.insert(all.end(), p.begin(), p.end());
  TensorMap out;
  out.add("sequences", decoding::to_sequences(all, width, o.pad_token_id));
  if (scored) {
    std::vector<float> s;
    for (auto& h : all) s.push_back(static_cast<float>(h.score));
    out.add("sequences_scores", Tensor::from_vector(s, {static_cast<int64_t>(s.size())}));
  }
  write_safetensors(c.tensors_out, out);
  return 0;
}

int run_generate(const GenerateCli& c) {
  const auto t0 = std::chrono::steady_clock::now();
  auto model = load_model_for(c.model);
  spdlog::debug("generate: model loaded in {:.3f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  auto* g = dynamic_cast<models::Generative*>(model.get());
  check(g != nullptr, "{}: {} does not generate (ProphetNet and EncoderDecoderModel do)", c.model.model_dir,
        model->arch());
  check(c.ngram_relpos == "huggingface" || c.ngram_relpos == "original",
        "--ngram-relpos: '{}' is not huggingface or original", c.ngram_relpos);
  g->set_ngram_relpos(c.ngram_relpos == "original" ? models::prophetnet::RelPosMode::Original
                                                   : models::prophetnet::RelPosMode::HuggingFace);
  auto o = options_of(c, *g);
  if (!c.tensors_in.empty()) return run_tensors(c, *g, o);

  auto src_tok = text::load_tokenizer(c.model.model_dir);
  // EncoderDecoderModel: sources are BERT-tokenized; targets use the decoder's prophetnet.tokenizer if present.
  std::unique_ptr<text::Tokenizer> out_tok;
  if (g->is_encoder_decoder() && src_tok->kind() == "bert") {
    try {
      out_tok = text::load_tokenizer(c.model.model_dir, "prophetnet");
    } catch (const Error&) {
    }
  }
  const text::Tokenizer& dec_tok = out_tok ? *out_tok : *src_tok;
  std::vector<std::string> texts;
  for (auto& item : read_text_items(c.text_in, TextKind::Single)) texts.push_back(std::move(item.text));
  text::EncodeOptions eo;
  // A causal LM continues the prompt: no [SEP] (which is also its eos) appended.
  eo.add_special_tokens = g->is_encoder_decoder();
  std::vector<std::vector<int64_t>> ids;
  for (auto& t : texts) {
    ids.push_back(src_tok->encode(t, std::nullopt, eo).input_ids);
    check(!ids.back().empty(), "input text {} has no tokens", ids.size());
  }
  const bool to_stdout = c.output.empty() || c.output == "-";
  const bool stream = to_stdout && texts.size() == 1 && o.num_beams == 1 && o.num_return_sequences == 1;
  std::vector<std::vector<decoding::Hypothesis>> per(texts.size());
  GenStats stats;
  for (auto& rows : make_batches(ids, !g->is_encoder_decoder(), c.batch_size)) {
    auto r = request_of(ids, rows, o.pad_token_id);
    r.first_index = static_cast<int64_t>(rows.front());
    decoding::TokenCallback cb;
    std::vector<int64_t> so_far;
    std::string printed;
    if (stream) {
      cb = [&](int64_t, int64_t tok) {
        so_far.push_back(tok);
        std::string s = dec_tok.decode(so_far, true);
        if (s.size() > printed.size() && s.compare(0, printed.size(), printed) == 0) {
          std::cout << s.substr(printed.size()) << std::flush;
          printed = s;
        }
      };
    }
    auto res = decoding::generate(*g, r, o, cb);
    stats.add(res, r.B);
    if (stream) {
      std::string s = dec_tok.decode(so_far, true);
      if (s.compare(0, printed.size(), printed) == 0) std::cout << s.substr(printed.size());
      std::cout << "\n" << std::flush;
      stats.log();
      return 0;
    }
    for (size_t k = 0; k < rows.size(); ++k)
      for (int64_t j = 0; j < o.num_return_sequences; ++j) per[rows[k]].push_back(res.hyps[k * o.num_return_sequences + j]);
  }
  stats.log();
  const bool jsonl = !to_stdout && c.output.size() >= 6 && c.output.compare(c.output.size() - 6, 6, ".jsonl") == 0;
  std::string out;
  for (size_t i = 0; i < texts.size(); ++i) {
    nlohmann::json hyps = nlohmann::json::array();
    for (auto& h : per[i]) {
      // HF users decode the new tokens: for a causal LM the prompt is part of `sequences`.
      std::string textout = dec_tok.decode(h.tokens, true);
      if (!jsonl) {
        out += textout + "\n";
        continue;
      }
      nlohmann::json e{{"text", textout}, {"tokens", h.tokens}};
      if (o.num_beams > 1) e["score"] = h.score;
      hyps.push_back(e);
    }
    if (jsonl) out += nlohmann::json{{"input", texts[i]}, {"generated", hyps}}.dump() + "\n";
  }
  if (to_stdout) {
    std::cout << out;
  } else {
    AtomicFile f(c.output);
    f.write(out);
    f.commit();
  }
  return 0;
}

const RegisterCommand reg{
    {"generate", "Generate text with ProphetNet / EncoderDecoderModel: greedy, beam search, sampling", 20,
     [](CLI::App& sub, CommonOptions&) {
       auto c = std::make_shared<GenerateCli>();
       add_model_options(sub, c->model);
       add_text_input_options(sub, c->text_in, "Input texts: sources, or prompts for a causal LM (else -i FILE or stdin)");
       sub.add_option("-o,--output", c->output, "Output: .jsonl (hypotheses with scores) or text; default stdout");
       sub.add_option("--tensors-in", c->tensors_in, "FILE.safetensors[:GROUP] with input_ids (attention_mask)");
       sub.add_option("--tensors-out", c->tensors_out, "Output safetensors: sequences (I64), sequences_scores");
       sub.add_option("--max-length", c->max_length, "Total length of the output sequences (HF max_length)");
       sub.add_option("--max-new-tokens", c->max_new_tokens, "New tokens after the decoder start / prompt");
       sub.add_option("--min-length", c->min_length, "HF min_length");
       sub.add_option("--min-new-tokens", c->min_new_tokens, "HF min_new_tokens");
       sub.add_option("--num-beams,--beam-size", c->num_beams, "Beam search width (1: greedy / sampling)");
       sub.add_option("--length-penalty", c->length_penalty, "Beam score = logprob / length ** length_penalty");
       sub.add_option("--early-stopping", c->early_stopping, "true, false or never");
       sub.add_option("--no-repeat-ngram-size", c->no_repeat_ngram_size, "Forbid repeating n-grams of this size");
       sub.add_option("--num-return-sequences", c->num_return_sequences, "Hypotheses per input");
       sub.add_flag("--do-sample", c->do_sample, "Multinomial sampling");
       sub.add_option("--temperature", c->temperature, "Sampling temperature");
       sub.add_option("--top-k", c->top_k, "Sampling: keep the k most likely tokens (HF default 50)");
       sub.add_option("--top-p", c->top_p, "Sampling: nucleus probability mass");
       sub.add_option("--repetition-penalty", c->repetition_penalty, "HF repetition_penalty");
       sub.add_option("--seed", c->seed, "Sampling seed (per-sequence streams; see lib/decoding/sampler.h)");
       sub.add_option("--batch-size", c->batch_size, "Inputs per batch (default 8)")->check(CLI::PositiveNumber);
       sub.add_option("--ngram-relpos", c->ngram_relpos,
                      "huggingface (transformers 4.37.2, default) or original (microsoft/ProphetNet) n-gram "
                      "relative positions in multi-token decoder passes");
       return std::function<int()>([c] { return run_generate(*c); });
     }}};

}  // namespace
}  // namespace qdq::app
