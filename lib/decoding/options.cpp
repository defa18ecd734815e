#include "decoding/options.h"

#include "core/error.h"

namespace qdq::decoding {

EarlyStopping parse_early_stopping(const std::string& s) {
  if (s == "true" || s == "True" || s == "1") return EarlyStopping::True;
  if (s == "false" || s == "False" || s == "0") return EarlyStopping::False;
  if (s == "never") return EarlyStopping::Never;
  throw Error("early_stopping: '{}' is not true, false or never", s);
}

Speculative parse_speculative(const std::string& s) {
  if (s == "off") return Speculative::Off;
  if (s == "streams") return Speculative::Streams;
  throw Error("--speculative: '{}' is not off or streams", s);
}

Options options_from_json(const nlohmann::json& j) {
  Options o;
  auto num = [&](const char* k, auto& out) {
    if (!j.contains(k) || j[k].is_null()) return;
    check(j[k].is_number(), "generation config: '{}' is not a number", k);
    out = j[k].get<std::decay_t<decltype(out)>>();
  };
  auto opt = [&](const char* k, std::optional<int64_t>& out) {
    if (!j.contains(k) || j[k].is_null()) return;
    check(j[k].is_number_integer(), "generation config: '{}' is not an integer", k);
    out = j[k].get<int64_t>();
  };
  // eos_token_id may be a list in HF; the first id ends a sequence here.
  auto id = [&](const char* k, int64_t& out) {
    if (!j.contains(k) || j[k].is_null()) return;
    if (j[k].is_array()) {
      check(!j[k].empty() && j[k][0].is_number_integer(), "generation config: '{}' is not a token id", k);
      out = j[k][0].get<int64_t>();
    } else {
      check(j[k].is_number_integer(), "generation config: '{}' is not a token id", k);
      out = j[k].get<int64_t>();
    }
  };
  num("max_length", o.max_length);
  opt("max_new_tokens", o.max_new_tokens);
  num("min_length", o.min_length);
  opt("min_new_tokens", o.min_new_tokens);
  num("num_beams", o.num_beams);
  num("length_penalty", o.length_penalty);
  if (j.contains("early_stopping") && !j["early_stopping"].is_null()) {
    const auto& e = j["early_stopping"];
    if (e.is_boolean()) o.early_stopping = e.get<bool>() ? EarlyStopping::True : EarlyStopping::False;
    else if (e.is_string()) o.early_stopping = parse_early_stopping(e.get<std::string>());
  }
  num("no_repeat_ngram_size", o.no_repeat_ngram_size);
  num("num_return_sequences", o.num_return_sequences);
  if (j.contains("do_sample") && j["do_sample"].is_boolean()) o.do_sample = j["do_sample"].get<bool>();
  num("temperature", o.temperature);
  num("top_k", o.top_k);
  num("top_p", o.top_p);
  num("repetition_penalty", o.repetition_penalty);
  num("prompt_lookup_num_tokens", o.prompt_lookup_num_tokens);
  num("max_matching_ngram_size", o.max_matching_ngram_size);
  id("eos_token_id", o.eos_token_id);
  id("pad_token_id", o.pad_token_id);
  id("decoder_start_token_id", o.decoder_start_token_id);
  id("bos_token_id", o.bos_token_id);
  return o;
}

void validate(const Options& o, int64_t vocab) {
  check(o.max_length >= 1, "max_length {} must be positive", o.max_length);
  check(!o.max_new_tokens || *o.max_new_tokens >= 1, "max_new_tokens must be positive");
  check(o.num_beams >= 1, "num_beams {} must be >= 1", o.num_beams);
  check(o.num_return_sequences >= 1, "num_return_sequences {} must be >= 1", o.num_return_sequences);
  check(o.num_beams == 1 || o.num_return_sequences <= o.num_beams,
        "num_return_sequences {} is larger than num_beams {}", o.num_return_sequences, o.num_beams);
  check(o.do_sample || o.num_beams > 1 || o.num_return_sequences == 1,
        "num_return_sequences > 1 needs beam search or sampling (as in transformers)");
  check(!(o.do_sample && o.num_beams > 1), "sampling with beams (beam_sample) is not supported");
  check(o.temperature > 0, "temperature {} must be positive", o.temperature);
  check(o.top_p > 0 && o.top_p <= 1, "top_p {} must be in (0, 1]", o.top_p);
  check(o.top_k >= 0, "top_k {} must be >= 0", o.top_k);
  check(o.repetition_penalty > 0, "repetition_penalty {} must be positive", o.repetition_penalty);
  check(o.no_repeat_ngram_size >= 0, "no_repeat_ngram_size {} must be >= 0", o.no_repeat_ngram_size);
  check(o.prompt_lookup_num_tokens >= 0, "prompt_lookup_num_tokens {} must be >= 0", o.prompt_lookup_num_tokens);
  check(o.max_matching_ngram_size >= 1, "max_matching_ngram_size {} must be >= 1", o.max_matching_ngram_size);
  check(o.num_beams == 1 || (o.speculative == Speculative::Off && o.prompt_lookup_num_tokens == 0),
        "speculative decoding (--speculative streams, --prompt-lookup-num-tokens) runs with greedy search or "
        "sampling, not with beam search (num_beams {})",
        o.num_beams);
  check(o.pad_token_id >= 0 && o.pad_token_id < vocab, "pad_token_id {} is not a token of the vocabulary ({})",
        o.pad_token_id, vocab);
  check(o.eos_token_id < vocab, "eos_token_id {} is not a token of the vocabulary ({})", o.eos_token_id, vocab);
}

}  // namespace qdq::decoding
