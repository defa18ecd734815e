#pragma once
// The constructor arguments of BertTokenizer / ProphetNetTokenizer, with
// transformers' defaults, optionally overridden by tokenizer_config.json.
#include <cstdint>
#include <string>
#include <vector>

#include "text/basic_tokenizer.h"

namespace qdq::text {

// An entry of added_tokens_decoder (AddedToken's flags).
struct AddedToken {
  std::string content;
  int64_t id = -1;  // -1: look it up in the vocabulary
  bool lstrip = false, rstrip = false, single_word = false, normalized = false, special = true;
};

struct TokenizerConfig {
  std::string kind = "bert";  // "bert" or "prophetnet"
  BasicOptions basic;
  bool do_basic_tokenize = true;
  std::string unk = "[UNK]", sep = "[SEP]", pad = "[PAD]", cls = "[CLS]", mask = "[MASK]";
  std::vector<std::string> additional_special;
  std::vector<AddedToken> added;  // from added_tokens_decoder
  int64_t model_max_length = -1;  // -1: none (HF's VERY_LARGE_INTEGER)
  size_t max_input_chars_per_word = 100;
};

TokenizerConfig default_config(const std::string& kind);
// Applies a tokenizer_config.json's fields; Error "<path>: ..." on bad JSON
// or wrongly typed fields. Ignored when its tokenizer_class is another kind.
void apply_tokenizer_config(TokenizerConfig& cfg, const std::string& path);

}  // namespace qdq::text
