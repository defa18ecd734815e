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
#include "io/path_guard.h"
#include "io/safetensors.h"
#include "model_options.h"
#include "models/input_info.h"
#include "models/prophetnet/gen_state.h"
#include "output.h"
#include "pipelines/generate_pipeline.h"
#include "progress.h"
#include "text/tokenizer.h"
#include "task_flags.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct GenerateCli {
  ModelOptions model;
  TextInputOptions text_in;
  OutputOptions out;
  std::string tensors_in, tensors_out;
  TaskFlags search;  // the flags generate shares with compare's and quantize's task evaluations
  std::optional<int64_t> max_length, min_length, num_return_sequences, top_k, max_input_length;
  std::optional<double> temperature, top_p;
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
  apply_task_flags(c.search, o);
  if (c.min_length) o.min_length = *c.min_length;
  if (c.num_return_sequences) o.num_return_sequences = *c.num_return_sequences;
  if (c.top_k) o.top_k = *c.top_k;
  if (c.temperature) o.temperature = *c.temperature;
  if (c.top_p) o.top_p = *c.top_p;
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
  warn_no_effect(sub, "--max-length", given(sub, "--max-new-tokens"), "with --max-new-tokens (which sets the length)");
}

// Source tokens the encoder's position table holds (a causal LM: the prompt
// plus at least one new token must fit the decoder's).
int64_t default_max_input_length(const std::string& dir, models::Generative& g, const decoding::Options& o,
                                 const text::Tokenizer& tok) {
  if (!g.is_encoder_decoder()) return std::max<int64_t>(1, g.max_decoder_tokens() - std::max<int64_t>(1, o.max_new_tokens.value_or(1)));
  return models::max_input_tokens(load_config(dir), tok.model_max_length());  // the encoder's, as models/ knows it
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
  else throw UsageError("--tensors-in needs --tensors-out");
  warn_no_effect(sub, "--tensors-out", c.tensors_in.empty(), "without --tensors-in (texts are written to -o)");
  refuse_overwriting_inputs({c.model.model_dir, c.model.amax_path, c.text_in.input, tensors_arg_file(c.tensors_in)},
                            {c.tensors_in.empty() ? c.out.path : c.tensors_out});
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
  s.max_input_length = c.max_input_length ? *c.max_input_length : default_max_input_length(c.model.model_dir, *g, o, *src_tok);
  pipelines::GeneratePipeline pipe(*g, *src_tok, out_tok ? *out_tok : *src_tok, s);

  TextReader reader(c.text_in, TextKind::Single);
  LineWriter writer(c.out);
  Progress progress("generate", reader.total());
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
  if (n == 0) warn_empty_input(reader.name());
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
       add_output_options(sub, c->out, kFormats, "jsonl (one record per input) or text (one line per input)");
       flag(sub, "--tensors-in", c->tensors_in, "input_ids (attention_mask) in, sequences out (--tensors-out)");
       flag(sub, "--tensors-out", c->tensors_out, "sequences (I64), sequences_scores");
       flag(sub, "generate --max-length", c->max_length);
       add_task_flags(sub, c->search, "");
       flag(sub, "--min-length", c->min_length);
       flag(sub, "--num-return-sequences", c->num_return_sequences);
       switch_flag(sub, "--do-sample", c->do_sample);
       flag(sub, "--temperature", c->temperature);
       flag(sub, "generate --top-k", c->top_k);
       flag(sub, "--top-p", c->top_p);
       flag(sub, "--seed", c->seed);
       flag(sub, "--include-prompt", c->include_prompt);
       flag(sub, "--max-input-length", c->max_input_length);
       flag(sub, "--batch-size", c->batch_size);
       flag(sub, "--speculative", c->speculative);
       flag(sub, "--prompt-lookup-num-tokens", c->prompt_lookup_num_tokens);
       flag(sub, "--max-matching-ngram-size", c->max_matching_ngram_size);
       return std::function<int()>([c, &sub] { return run_generate(*c, sub); });
     }}};

}  // namespace
}  // namespace qdq::app
