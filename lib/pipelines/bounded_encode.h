#pragma once
// Tokenization whose work is bounded by the truncation length, not by the
// input: a 100 MB line that will be cut to 512 tokens is tokenized only as far
// as it must be. A text is cut at a whitespace boundary (BERT splits on
// whitespace before anything else, so the pieces of a prefix are a prefix of
// the pieces) that yields more tokens than can be kept; the byte budget
// doubles until it does. Keeping max_length + 1 tokens of each segment gives
// Hugging Face's truncation result exactly, for every strategy (the
// longest_first split depends only on the shorter segment once both exceed
// max_length).
#include <optional>
#include <string>

#include "text/tokenizer.h"

namespace qdq::pipelines {

struct BoundedEncoding {
  text::Encoding encoding;
  bool truncated = false;  // tokens were dropped to fit max_length
  int64_t full_length = 0;  // tokens the input would have had (a lower bound when it was cut early)
};

// tok.encode(text, pair, opts) with opts.max_length set; a text that needs no
// truncation is encoded as it is.
BoundedEncoding encode_bounded(const text::Tokenizer& tok, const std::string& text,
                               const std::optional<std::string>& pair, const text::EncodeOptions& opts);

// The shortest whitespace-cut prefix of `text` with more than `limit` pieces
// (or the whole text), and how many pieces it has.
std::string token_prefix(const text::Tokenizer& tok, const std::string& text, int64_t limit, int64_t* pieces);

}  // namespace qdq::pipelines
