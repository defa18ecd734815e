#pragma once
// PreTrainedTokenizerBase.prepare_for_model of transformers 4.37.2 for one
// sequence or a pair of id lists: strategy resolution, truncation (with
// stride / overflowing tokens), special tokens, token types, padding.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "text/tokenizer.h"

namespace qdq::text {

struct SpecialLayout {
  // build_inputs_with_special_tokens / create_token_type_ids_from_sequences.
  std::function<std::vector<int64_t>(const std::vector<int64_t>&, const std::vector<int64_t>*)> build;
  std::function<std::vector<int64_t>(const std::vector<int64_t>&, const std::vector<int64_t>*)> type_ids;
  int64_t num_special_single = 0, num_special_pair = 0;
  bool return_token_type_ids = true;
  int64_t pad_id = 0;
  int64_t model_max_length = -1;  // -1: none
};

Encoding prepare_for_model(std::vector<int64_t> ids, std::optional<std::vector<int64_t>> pair,
                           const EncodeOptions& opts, const SpecialLayout& layout);

}  // namespace qdq::text
