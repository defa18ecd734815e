#pragma once
// Generation parameters with Hugging Face v4.37.2 GenerationConfig names and
// defaults; filled from a model's generation defaults, then overridden by flags.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace qdq::decoding {

enum class EarlyStopping { False, True, Never };
// Self-speculative decoding (decoding/speculative.h): Off, or drafts from ProphetNet's predicting
// stream 1 at the next position, verified by the next forward.
enum class Speculative { Off, Streams };

struct Options {
  int64_t max_length = 20;  // every token of the returned sequence (decoder start / prompt included)
  std::optional<int64_t> max_new_tokens;
  int64_t min_length = 0;
  std::optional<int64_t> min_new_tokens;
  int64_t num_beams = 1;
  double length_penalty = 1.0;
  EarlyStopping early_stopping = EarlyStopping::False;
  int64_t no_repeat_ngram_size = 0;
  int64_t num_return_sequences = 1;
  bool do_sample = false;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  double repetition_penalty = 1.0;
  uint64_t seed = 0;
  Speculative speculative = Speculative::Off;
  // Prompt lookup (transformers' PromptLookupCandidateGenerator): 0 = off (HF's None).
  int64_t prompt_lookup_num_tokens = 0;
  int64_t max_matching_ngram_size = 2;
  int64_t eos_token_id = -1, pad_token_id = -1, decoder_start_token_id = -1, bos_token_id = -1;
};

// HF defaults overlaid by the model's generation defaults (json of HF field names).
Options options_from_json(const nlohmann::json& j);
EarlyStopping parse_early_stopping(const std::string& s);  // true | false | never
Speculative parse_speculative(const std::string& s);      // off | streams
// Error on values HF rejects (num_beams < 1, top_p outside (0, 1], ...). vocab: the model's size.
void validate(const Options& o, int64_t vocab);

}  // namespace qdq::decoding
