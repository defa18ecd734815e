#include "flags.h"

#include <algorithm>
#include <map>

#include "core/log.h"
#include "decoding/options.h"

namespace qdq::app {

const CLI::Validator& positive_int() {
  static const CLI::Validator v(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          const long long n = std::stoll(s, &used);
          if (used == s.size() && n >= 1) return "";
        } catch (const std::exception&) {
        }
        return "must be a positive integer, got '" + s + "'";
      },
      "POSITIVE");
  return v;
}

CLI::Validator int_range(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        try {
          size_t used = 0;
          const long long n = std::stoll(s, &used);
          if (used == s.size() && n >= lo && n <= hi) return "";
        } catch (const std::exception&) {
        }
        return fmt::format("must be an integer in {}..{}, got '{}'", lo, hi, s);
      },
      fmt::format("{}..{}", lo, hi));
}

namespace {

// A real number with bounds; `open_lo`: lo itself is refused.
CLI::Validator real_range(double lo, double hi, bool open_lo, const std::string& what) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        try {
          size_t used = 0;
          const double x = std::stod(s, &used);
          if (used == s.size() && (open_lo ? x > lo : x >= lo) && x <= hi) return "";
        } catch (const std::exception&) {
        }
        return "must be " + what + ", got '" + s + "'";
      },
      what);
}

std::function<void(CLI::Option*)> checked(CLI::Validator v) {
  return [v](CLI::Option* o) { o->check(v); };
}
std::function<void(CLI::Option*)> one_of(std::vector<std::string> values) {
  return [values](CLI::Option* o) { o->check(CLI::IsMember(values)); };
}

// " (default: the checkpoint's generation_config.json / config.json, else Hugging Face's X)".
template <class T>
std::string gen_default(T v) {
  return fmt::format(" (default: generation_config.json / config.json, else {})", v);
}

std::vector<FlagRow> build_table() {
  const decoding::Options g;  // Hugging Face's generation defaults, as decoding::Options holds them
  const auto pos = checked(positive_int());
  const auto nonneg = checked(CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          if (std::stoll(s, &used) >= 0 && used == s.size()) return "";
        } catch (const std::exception&) {
        }
        return "must be an integer >= 0, got '" + s + "'";
      },
      "NONNEGATIVE"));
  return {
      // The model.
      {"--model", "-m,--model",
       "Model directory: a Hugging Face checkpoint (config.json, model.safetensors or pytorch_model.bin, the "
       "vocabulary) or a qdqrt int8 directory",
       [](CLI::Option* o) { o->required(); }},
      {"--arch", "--arch", "Model class, overriding config.json architectures[0] (e.g. ProphetNetForCausalLM)", {}},
      {"--ngram-relpos", "--ngram-relpos",
       "ProphetNet decoders: huggingface (transformers 4.37.2) or original (microsoft/ProphetNet) n-gram relative "
       "positions in multi-token decoder passes (default: huggingface)",
       one_of({"huggingface", "original"})},
      {"--precision", "--precision",
       "fp32, bf16 (the Linears' GEMMs in bfloat16: faster, no calibration, about 3 significant digits; needs "
       "AVX-512 BF16), fakequant (pytorch_quantization numerics) or int8 (oneDNN int8 kernels); default: int8 when "
       "--amax is given or the model directory is quantized, else fp32",
       one_of({"fp32", "bf16", "fakequant", "int8"})},
      {"--amax", "--amax",
       "Amax table (.json, or a .safetensors state dict of <quantizer>._amax) from qdqrt calibrate or PyTorch; "
       "implies --precision int8 unless --precision says otherwise",
       {}},
      {"--force", "--force",
       "Do what qdqrt refuses to protect you: use an amax table recorded for another model; quantize: replace an "
       "existing output directory (atomically: old or new, never a mix)",
       {}},
      // Inputs.
      {"--input", "-i,--input",
       "Input file: JSON Lines, or one text per line (a blank line is an empty text); '-' or none: stdin", {}},
      {"--input-format", "--input-format",
       "jsonl or text; default: jsonl when the first non-blank line (or every positional text) is a JSON object, "
       "else text",
       one_of({"jsonl", "text"})},
      {"--tensors-in", "--tensors-in",
       "Input tensors FILE.safetensors[:GROUP] (tensors named GROUP.input_ids, ...), used as stored, instead of "
       "texts. Besides ids and masks, forward takes head_mask ([heads] or [layers, heads]; ProphetNet also "
       "decoder_head_mask, cross_attn_head_mask), inputs_embeds instead of input_ids (ProphetNet also "
       "decoder_inputs_embeds), and for BERT position_ids; ProphetNet's head masks apply always (transformers "
       "4.37.2 applies its encoder and cross-attention ones only with output_attentions)",
       {}},
      {"--batch-size", "-b,--batch-size", "Inputs per batch", pos},
      {"--max-length", "--max-length",
       "Truncate inputs to this many tokens; 0: what the model holds (BERT: min(512, the tokenizer's "
       "model_max_length, max_position_embeddings); ProphetNet: max_position_embeddings - 1)",
       nonneg},
      {"--truncation", "--truncation",
       "Hugging Face's truncation strategy: longest_first, only_first, only_second or do_not_truncate",
       one_of({"longest_first", "only_first", "only_second", "do_not_truncate"})},
      {"--max-target-length", "--max-target-length",
       "Encoder-decoder models: decoder tokens per text, start token included; JSONL \"target\" texts are "
       "truncated to it, sources without one are generated greedily up to it",
       pos},
      // Outputs.
      {"--output", "-o,--output,--out",
       "Output path, written atomically (a temporary renamed on success) and never over an input", {}},
      {"--output-format", "--output-format,--format", "Output format", {}},
      {"--tensors-out", "--tensors-out", "Output tensors (.safetensors, F32 unless stated)", {}},
      // encode.
      {"--pooling", "--pooling",
       "Bare model embedding: pooler (dense+tanh on [CLS]), cls (last hidden state of [CLS]) or mean; default: "
       "pooler when the checkpoint has one, else cls",
       one_of({"cls", "mean", "pooler"})},
      {"--top-k", "--top-k",
       "Hugging Face pipelines' top_k: fill-mask candidates per [MASK] (default 5); question answering: answers "
       "per question, best first, as an \"answers\" list when above 1 (default 1)",
       checked(int_range(1, 1000))},
      {"--doc-stride", "--doc-stride",
       "Question answering: a context longer than one --max-length window is read in overlapping windows sharing "
       "this many tokens (default: 128, or max-length/2 when smaller, as Hugging Face's pipeline)",
       nonneg},
      {"--max-answer-len", "--max-answer-len", "Question answering: longest answer in tokens",
       checked(int_range(1, 100000))},
      {"--layer", "--layer",
       "Bare model: pool the embedding (--pooling) from this layer's hidden state, as Hugging Face's "
       "hidden_states[K]: 0 the embeddings' output, num_hidden_layers the last; negative counts from the end (-1 = "
       "last, -2 = second to last); default: the last",
       {}},
      // forward.
      {"--output-hidden-states", "--output-hidden-states",
       "Also write Hugging Face's hidden_states tuple as hidden_states.K (K = 0: the embeddings' output, then each "
       "layer's; ProphetNet: encoder_hidden_states.K, decoder_hidden_states.K, decoder_ngram_hidden_states.K, or for "
       "the causal LM hidden_states.K, hidden_states_ngram.K); [batch, seq, hidden] F32 each",
       {}},
      {"--output-attentions", "--output-attentions",
       "Also write the attentions tuples as attentions.K [batch, heads, seq, seq] (ProphetNet: encoder_attentions.K, "
       "decoder_attentions.K, decoder_ngram_attentions.K [batch, ngram, heads, seq, 2*seq], cross_attentions.K; the "
       "causal LM: attentions.K, ngram_attentions.K). Memory: batch*heads*seq*seq*4 bytes per layer, held for the one "
       "batch run (bert-base, 8 x 512 tokens: 12 x 100 MB = 1.2 GB). int8 attention reports its dequantized "
       "probability codes. ProphetNet's encoder_attentions and cross_attentions are the scores before the softmax, "
       "as transformers 4.37.2 returns them",
       {}},
      // generate (Hugging Face generate()'s names and meanings).
      {"generate --max-length", "--max-length",
       "Hugging Face max_length: every token of the output sequence, decoder start / prompt included" +
           gen_default(g.max_length),
       pos},
      {"--max-new-tokens", "--max-new-tokens", "New tokens after the decoder start / prompt (overrides --max-length)",
       pos},
      {"--min-length", "--min-length", "Hugging Face min_length" + gen_default(g.min_length), nonneg},
      {"--min-new-tokens", "--min-new-tokens", "Hugging Face min_new_tokens (default: unset)", nonneg},
      {"--num-beams", "--num-beams,--beam-size", "Beam search width; 1: greedy / sampling" + gen_default(g.num_beams),
       pos},
      {"--length-penalty", "--length-penalty",
       "Beam score = logprob / length ** length_penalty" + gen_default(g.length_penalty), {}},
      {"--early-stopping", "--early-stopping", "Beam search: true, false or never" + gen_default("false"),
       one_of({"true", "false", "never"})},
      {"--no-repeat-ngram-size", "--no-repeat-ngram-size",
       "Forbid repeating n-grams of this size" + gen_default(g.no_repeat_ngram_size), nonneg},
      {"--num-return-sequences", "--num-return-sequences", "Hypotheses per input" + gen_default(g.num_return_sequences),
       pos},
      {"--do-sample", "--do-sample", "Multinomial sampling (default: the generation config's do_sample, else off)",
       {}},
      {"--temperature", "--temperature", "Sampling temperature" + gen_default(g.temperature),
       checked(real_range(0, 1e9, true, "a number > 0"))},
      {"generate --top-k", "--top-k", "Sampling: keep the k most likely tokens (0: all)" + gen_default(g.top_k),
       nonneg},
      {"--top-p", "--top-p", "Sampling: nucleus probability mass" + gen_default(g.top_p),
       checked(real_range(0, 1, true, "in (0, 1]"))},
      {"--repetition-penalty", "--repetition-penalty", "Hugging Face repetition_penalty" + gen_default(g.repetition_penalty),
       checked(real_range(0, 1e9, true, "a number > 0"))},
      {"--seed", "--seed",
       "Sampling seed; each input samples from its own stream keyed by its \"id\" (else its position). Default: "
       "drawn at random and logged",
       {}},
      {"--include-prompt", "--include-prompt,--return-full-text",
       "Causal LM: the generated text starts with the prompt (Hugging Face return_full_text)", {}},
      {"--max-input-length", "--max-input-length",
       "Truncate sources / prompts to this many tokens, with a warning naming the input (default: what the model's "
       "position table holds)",
       pos},
      {"--speculative", "--speculative",
       "off, or streams: self-speculative decoding from ProphetNet's n-gram streams (predicting stream 1 at the next "
       "position drafts the token after next; the next forward verifies it). Greedy output is identical to off; "
       "sampling keeps its distribution (speculative sampling). Not with beam search",
       one_of({"off", "streams"})},
      {"--prompt-lookup-num-tokens", "--prompt-lookup-num-tokens",
       "Prompt lookup decoding (Hugging Face prompt_lookup_num_tokens): draft up to N tokens copied from after an "
       "earlier occurrence of the sequence's last n-gram, verified in one forward (every generator; with "
       "--speculative streams the longer draft runs). Not with beam search. Default: the generation config's, else "
       "off",
       nonneg},
      {"--max-matching-ngram-size", "--max-matching-ngram-size",
       "Prompt lookup: longest n-gram matched (Hugging Face max_matching_ngram_size)", pos},
      // calibrate.
      {"--method", "--method",
       "Input quantizers: max, or a histogram with percentile, mse or entropy (pytorch_quantization's "
       "calibrators); weights always use per-channel max",
       one_of({"max", "percentile", "mse", "entropy"})},
      {"--percentile", "--percentile", "Percentile for --method percentile, in (0, 100]",
       checked(real_range(0, 100, true, "in (0, 100]"))},
      {"--num-bins", "--num-bins",
       "Histogram bins (percentile, mse, entropy; mse and entropy search from bin 128, pytorch_quantization's "
       "start_bin, so they need more than 128)",
       checked(int_range(2, 1 << 24))},
      {"--strict", "--strict",
       "Fail when a quantizer sees no calibration data (pytorch_quantization's strict load_calib_amax); default: it "
       "stays in float, with a warning",
       {}},
      // compare.
      {"--against", "--against", "Reference precision: fp32 or fakequant", one_of({"fp32", "fakequant"})},
      {"--sensitivity", "--sensitivity",
       "Also rank the quantizers by how much the outputs improve when that one alone stays float", {}},
      {"--no-task-metrics", "--no-task-metrics",
       "Skip the task section. By default, for text records from -i FILE or the arguments, each precision runs the "
       "model's task and is scored: \"label\" -> accuracy and macro-F1; \"answers\" -> SQuAD v1.1 exact match and "
       "F1; \"target\" of an encoder-decoder -> exact match and ROUGE-L F1 of the generated text (LCS F1 over "
       "lower-cased whitespace-separated words); \"target\" of a causal LM -> mean cross-entropy (loss) and "
       "perplexity of the continuation given the prompt \"text\"; without references, agreement with the "
       "reference precision (same top-1 label, same answer span, identical generated ids). --max-length truncates "
       "the inputs (sources, prompts, prompt + continuation), -b the batch",
       {}},
      {"--task-only", "--task-only",
       "Only the task section: no error analysis per output and quant point (faster: two passes over the records "
       "instead of five)",
       {}},
      // quantize.
      {"--how", "--how", "Calibration note stored in the metadata (default: the amax table's file name)", {}},
      {"--calib", "--calib",
       "Calibrate on this file first (JSONL records as for calibrate -i, or one text per line), instead of --amax",
       {}},
      {"--eval", "--eval",
       "Tune by accuracy on this file (records with references, as compare reads them: \"label\", \"target\", "
       "\"answers\"; without them, agreement with fp32): tries the calibration methods max, percentile 99.9 / "
       "99.99 / 99.999, mse, entropy, then leaves quantizers in float one at a time in compare --sensitivity order, "
       "until the metric is within --max-loss of fp32; writes DIR/quantization_report.json",
       {}},
      {"--max-loss", "--max-loss",
       "Tolerated loss of the eval metric against fp32: absolute in the metric's unit (accuracy and ROUGE-L are "
       "fractions: 0.005 is half a point; a loss metric counts its increase), or relative with a % sign (1%)",
       {}},
      {"--max-trials", "--max-trials", "Most int8 evaluations while tuning", pos},
      {"--timeout", "--timeout", "Stop tuning after this many seconds (0: no limit; checked between trials)",
       checked(real_range(0, 1e12, false, "a number >= 0"))},
      // export.
      {"--opset", "--opset", "ONNX opset, 13..17 (per-channel QuantizeLinear needs 13; 17 uses LayerNormalization)", checked(int_range(13, 17))},
      {"--save-as-external-data", "--save-as-external-data",
       "Weights in <output>.data next to the model: auto (when the model passes 2 GB), always, never",
       one_of({"auto", "always", "never"})},
      // tokenize.
      {"--tokenizer", "--tokenizer", "Force the tokenizer: bert or prophetnet (default: from the files)",
       one_of({"bert", "prophetnet"})},
      {"--no-special-tokens", "--no-special-tokens", "Do not add [CLS] / [SEP]", {}},
  };
}

}  // namespace

const std::vector<FlagRow>& flag_table() {
  static const std::vector<FlagRow> t = build_table();
  return t;
}

const FlagRow& flag_row(const std::string& key) {
  for (const auto& r : flag_table())
    if (r.key == key) return r;
  throw std::logic_error("no flag row " + key);  // a programming error: every flag has a row
}

CLI::Option* switch_flag(CLI::App& sub, const std::string& key, bool& var, const std::string& extra) {
  const FlagRow& r = flag_row(key);
  CLI::Option* o = sub.add_flag(r.names, var, extra.empty() ? r.help : r.help + "; " + extra);
  if (r.check) r.check(o);
  return o;
}

bool given(const CLI::App& sub, const std::string& name) {
  const CLI::Option* o = sub.get_option_no_throw(name);
  return o != nullptr && o->count() > 0;
}

void warn_no_effect(const CLI::App& sub, const std::string& name, bool no_effect, const std::string& why) {
  if (no_effect && given(sub, name)) spdlog::warn("{} has no effect {}", name, why);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

namespace {
// Every long name ("--max-new-tokens") of app and sub.
std::vector<std::string> long_names(const CLI::App& app, const CLI::App* sub) {
  std::vector<std::string> out = {"--help"};
  for (const CLI::App* a : {&app, sub}) {
    if (!a) continue;
    for (const CLI::Option* o : a->get_options())
      for (const auto& n : o->get_lnames()) out.push_back("--" + n);
  }
  return out;
}
std::string name_part(const std::string& arg) { return arg.substr(0, arg.find('=')); }
}  // namespace

std::vector<std::string> normalize_snake_case(const std::vector<std::string>& args, const CLI::App& app,
                                              const CLI::App* sub) {
  const auto names = long_names(app, sub);
  std::vector<std::string> out;
  bool rest = false;
  for (const auto& a : args) {
    if (a == "--") rest = true;
    if (!rest && a.rfind("--", 0) == 0 && name_part(a).find('_') != std::string::npos) {
      std::string n = name_part(a);
      std::replace(n.begin() + 2, n.end(), '_', '-');
      if (std::find(names.begin(), names.end(), n) != names.end()) {
        out.push_back(n + a.substr(name_part(a).size()));
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

std::string unknown_option_message(const std::vector<std::string>& args, const CLI::App& app, const CLI::App* sub) {
  const auto names = long_names(app, sub);
  for (const auto& a : args) {
    if (a == "--") break;
    if (a.rfind("--", 0) != 0 || a.size() == 2) continue;
    const std::string n = name_part(a);
    if (std::find(names.begin(), names.end(), n) != names.end()) continue;
    std::string best;
    size_t bd = 1000;
    for (const auto& k : names)
      if (size_t d = edit_distance(n, k); d < bd) bd = d, best = k;
    const bool near = bd <= std::max<size_t>(2, n.size() / 3);
    return fmt::format("unknown option '{}'{}", n, near ? ", did you mean '" + best + "'?" : "");
  }
  return "";
}

}  // namespace qdq::app
