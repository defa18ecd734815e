// qdqrt generate: Hugging Face `generate` for ProphetNet (seq2seq, causal LM)
// and EncoderDecoderModel. Texts in (the one input rule), one record per input
// out, streamed per window; or tensors in/out (input_ids -> sequences,
// sequences_scores). Generation defaults: generation_config.json, then
// config.json, then transformers' defaults; flags override.
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "decoding/generate.h"
#include "flags.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "model_options.h"
#include "models/prophetnet/gen_state.h"
#include "output.h"
#include "pipelines/generate_pipeline.h"
#include "progress.h"
#include "text/tokenizer.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct GenerateCli {
  ModelOptions model;
  TextInputOptions text_in;
  OutputOptions out;
  std::string tensors_in, tensors_out, early_stopping;
  std::optional<int64_t> max_length, max_new_tokens, min_length, min_new_tokens, num_beams, no_repeat_ngram_size,
      num_return_sequences, top_k, max_input_length;
  std::optional<double> length_penalty, temperature, top_p, repetition_penalty;
  std::optional<uint64_t> seed;
  bool do_sample = false, include_prompt = true;
  int64_t batch_size = 8;
  // Speculative decoding (decoding/speculative.h).
  std::string speculative = "off";
  std::optional<int64_t> prompt_lookup_num_tokens, max_matching_ngram_size;
};

const std::vector<std::string> kFormats = {"jsonl", "text"};
constexpr size_t kWindowBatches = 4;  // inputs read per window: batch size x this

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
  o.speculative = decoding::parse_speculative(c.speculative);
  if (c.prompt_lookup_num_tokens) o.prompt_lookup_num_tokens = *c.prompt_lookup_num_tokens;
  if (c.max_matching_ngram_size) o.max_matching_ngram_size = *c.max_matching_ngram_size;
  if (o.pad_token_id < 0) o.pad_token_id = 0;
  decoding::validate(o, g.vocab_size());
  if (o.do_sample) {
    // A run without --seed still has one: drawn, and logged so the run can be repeated.
    o.seed = c.seed ? *c.seed : std::random_device{}() * 0x100000000ull + std::random_device{}();
    if (!c.seed) spdlog::info("sampling with --seed {} (drawn; pass it to repeat this run)", o.seed);
  }
  return o;
}

// As Hugging Face warns for temperature without do_sample: one warning per flag that changes nothing.
void warn_unused(const CLI::App& sub, const decoding::Options& o, bool encoder_decoder) {
  const std::string no_sample = "without --do-sample (greedy or beam search)";
  for (const char* f : {"--temperature", "--top-k", "--top-p", "--seed"}) warn_no_effect(sub, f, !o.do_sample, no_sample);
  const std::string no_beams = "without beam search (--num-beams > 1)";
  for (const char* f : {"--length-penalty", "--early-stopping"}) warn_no_effect(sub, f, o.num_beams <= 1, no_beams);
  warn_no_effect(sub, "--include-prompt", encoder_decoder, "for an encoder-decoder model (the prompt is the source)");
}

// Source tokens the encoder's position table holds (a causal LM: the prompt
// plus at least one new token must fit the decoder's).
int64_t default_max_input_length(const std::string& dir, models::Generative& g, const decoding::Options& o) {
  if (!g.is_encoder_decoder()) return std::max<int64_t>(1, g.max_decoder_tokens() - std::max<int64_t>(1, o.max_new_tokens.value_or(1)));
  const auto cfg = load_config(dir);
  if (cfg.value("model_type", "") == "encoder-decoder" && cfg.contains("encoder"))
    return cfg["encoder"].value("max_position_embeddings", int64_t{512});
  return cfg.value("max_position_embeddings", int64_t{512}) - 1;  // ProphetNet's encoder keeps a padding row
}

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
  // Unpad each row (the mask says which tokens are real), then batch as for text; a row's
  // position in the tensor file keys its random stream.
  std::vector<std::vector<int64_t>> ids(B);
  std::vector<uint64_t> streams(B);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < L; ++j)
      if (mask[b * L + j]) ids[b].push_back(v[b * L + j]);
    streams[b] = static_cast<uint64_t>(b);
  }
  pipelines::GenerateStats stats;
  const auto res = pipelines::generate_ids(g, ids, streams, o, c.batch_size, &stats);
  std::vector<decoding::Hypothesis> all;
  for (auto& p : res.hyps) all.insert(all.end(), p.begin(), p.end());
  const int64_t width = res.width;
  const bool scored = res.scored;
  TensorMap out;
  out.add("sequences", decoding::to_sequences(all, width, o.pad_token_id));
  if (scored) {
    std::vector<float> s;
    for (auto& h : all) s.push_back(static_cast<float>(h.score));
    out.add("sequences_scores", Tensor::from_vector(s, {static_cast<int64_t>(s.size())}));
  }
  write_safetensors(c.tensors_out, out);
  stats.log();
  return 0;
}

// jsonl: {"id"?, "generated": [{"generated_text", "ids", "score"?}]}; text: the
// generated texts of one input on one line (tab-separated when several).
std::string render(const std::vector<pipelines::Generated>& gens, const nlohmann::json& id, const std::string& fmt) {
  if (fmt == "text") {
    std::string line;
    for (size_t j = 0; j < gens.size(); ++j) {
      std::string t = gens[j].text;
      for (auto& ch : t)
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
      line += (j ? "\t" : "") + t;
    }
    return line + "\n";
  }
  nlohmann::ordered_json r;
  if (!id.is_null()) r["id"] = id;
  auto& list = r["generated"] = nlohmann::ordered_json::array();
  for (auto& g : gens) {
    nlohmann::ordered_json e;
    e["generated_text"] = g.text;
    e["ids"] = g.ids;
    if (g.score) e["score"] = *g.score;
    list.push_back(std::move(e));
  }
  return r.dump() + "\n";
}

int run_generate(GenerateCli& c, const CLI::App& sub) {
  if (c.tensors_in.empty()) prepare_output(c.out, kFormats);
  else if (!c.tensors_out.empty()) check_output_path(c.tensors_out);
  auto model = load_model_for(c.model);
  auto* g = dynamic_cast<models::Generative*>(model.get());
  check(g != nullptr, "{}: {} does not generate (ProphetNet and EncoderDecoderModel do)", c.model.model_dir,
        model->arch());
  auto o = options_of(c, *g);
  warn_unused(sub, o, g->is_encoder_decoder());
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
  pipelines::GenerateSettings s;
  s.options = o;
  s.batch_size = c.batch_size;
  s.include_prompt = c.include_prompt;
  s.max_input_length = c.max_input_length ? *c.max_input_length : default_max_input_length(c.model.model_dir, *g, o);
  pipelines::GeneratePipeline pipe(*g, *src_tok, out_tok ? *out_tok : *src_tok, s);

  TextReader reader(c.text_in, TextKind::Single);
  LineWriter writer(c.out);
  Progress progress("generate", -1);
  const size_t window = static_cast<size_t>(c.batch_size) * kWindowBatches;
  size_t n = 0;
  for (bool more = true; more;) {
    std::vector<pipelines::GenerateInput> inputs;
    TextItem item;
    while (inputs.size() < window && (more = reader.next(item)))
      inputs.push_back({std::move(item.text), std::move(item.id), item.index, item.where});
    if (inputs.empty()) break;
    const auto gens = pipe.run(inputs);
    std::string chunk;
    for (size_t i = 0; i < gens.size(); ++i) chunk += render(gens[i], inputs[i].id, c.out.format);
    writer.write(chunk);
    n += inputs.size();
    progress.advance(static_cast<int64_t>(inputs.size()));
  }
  progress.finish();
  check(n > 0, "{}: no input texts", reader.name());
  writer.commit();
  pipe.log_stats();
  return 0;
}

const RegisterCommand reg{
    {"generate", "Generate text with ProphetNet / EncoderDecoderModel: greedy, beam search, sampling", 20,
     [](CLI::App& sub, CommonOptions&) {
       auto c = std::make_shared<GenerateCli>();
       add_model_options(sub, c->model);
       add_text_input_options(sub, c->text_in,
                              "Sources, or prompts for a causal LM (JSONL records: {\"text\", \"id\"})");
       add_output_options(sub, c->out, kFormats,
                          "Output: jsonl (one record per input) or text (one line per input)");
       sub.add_option("--tensors-in", c->tensors_in, "FILE.safetensors[:GROUP] with input_ids (attention_mask)");
       sub.add_option("--tensors-out", c->tensors_out, "Output safetensors: sequences (I64), sequences_scores");
       const std::string cfg = " (default: generation_config.json / config.json, else Hugging Face's ";
       sub.add_option("--max-length", c->max_length, "Total length of the output sequences (HF max_length)" + cfg + "20)");
       sub.add_option("--max-new-tokens", c->max_new_tokens, "New tokens after the decoder start / prompt (overrides --max-length)");
       sub.add_option("--min-length", c->min_length, "HF min_length" + cfg + "0)");
       sub.add_option("--min-new-tokens", c->min_new_tokens, "HF min_new_tokens (unset)");
       sub.add_option("--num-beams,--beam-size", c->num_beams, "Beam search width; 1: greedy / sampling" + cfg + "1)");
       sub.add_option("--length-penalty", c->length_penalty, "Beam score = logprob / length ** length_penalty" + cfg + "1.0)");
       sub.add_option("--early-stopping", c->early_stopping, "true, false or never" + cfg + "false)")
           ->check(CLI::IsMember({"true", "false", "never"}));
       sub.add_option("--no-repeat-ngram-size", c->no_repeat_ngram_size, "Forbid repeating n-grams of this size" + cfg + "0)");
       sub.add_option("--num-return-sequences", c->num_return_sequences, "Hypotheses per input" + cfg + "1)");
       sub.add_flag("--do-sample", c->do_sample, "Multinomial sampling (default: the generation config's do_sample, else off)");
       sub.add_option("--temperature", c->temperature, "Sampling temperature" + cfg + "1.0)");
       sub.add_option("--top-k", c->top_k, "Sampling: keep the k most likely tokens" + cfg + "50)");
       sub.add_option("--top-p", c->top_p, "Sampling: nucleus probability mass" + cfg + "1.0)");
       sub.add_option("--repetition-penalty", c->repetition_penalty, "HF repetition_penalty" + cfg + "1.0)");
       sub.add_option("--seed", c->seed,
                      "Sampling seed; each input samples from its own stream keyed by its \"id\" (else its "
                      "position). Default: drawn at random and logged");
       sub.add_option("--include-prompt,--return-full-text", c->include_prompt,
                      "Causal LM: the generated text starts with the prompt (HF return_full_text)");
       sub.add_option("--max-input-length", c->max_input_length,
                      "Truncate sources / prompts to this many tokens, with a warning naming the input (default: "
                      "what the model's position table holds)")
           ->check(positive_int());
       sub.add_option("-b,--batch-size", c->batch_size, "Inputs per batch")->check(positive_int());
       // ---- speculative decoding ----
       sub.add_option("--speculative", c->speculative,
                      "off, or streams: self-speculative decoding from ProphetNet's n-gram streams (predicting "
                      "stream 1 at the next position drafts the token after next; the next forward verifies it). "
                      "Greedy output is identical to off; sampling keeps its distribution (speculative "
                      "sampling). Not with beam search. Default: off")
           ->check(CLI::IsMember({"off", "streams"}));
       sub.add_option("--prompt-lookup-num-tokens", c->prompt_lookup_num_tokens,
                      "Prompt lookup decoding (HF prompt_lookup_num_tokens): draft up to N tokens copied from "
                      "after an earlier occurrence of the sequence's last n-gram, verified in one forward (every "
                      "generator; with --speculative streams the longer draft runs). Not with beam "
                      "search. Default: the generation config's, else off")
           ->check(CLI::NonNegativeNumber);
       sub.add_option("--max-matching-ngram-size", c->max_matching_ngram_size,
                      "Prompt lookup: longest n-gram matched (HF max_matching_ngram_size, default 2)")
           ->check(positive_int());
       return std::function<int()>([c, &sub] { return run_generate(*c, sub); });
     }}};

}  // namespace
}  // namespace qdq::app
