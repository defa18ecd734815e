#pragma once
// Character offsets of WordPiece tokens in the text they came from, as a
// Hugging Face fast tokenizer's offset_mapping gives them (Python string
// indices: Unicode code points, end exclusive), which the question-answering
// and token-classification pipelines return. Our tokenizers are the slow
// ones, which have no offsets; the pieces are aligned back onto the original
// text instead: each piece matches the code points whose lower-cased,
// accent-stripped form spells it (what BasicTokenizer did to them).
#include <cstdint>
#include <string>
#include <vector>

namespace qdq::pipelines {

struct TokenSpan {
  int64_t start = -1, end = -1;  // code points into the text; -1: not aligned
  int64_t word = -1;             // pre-tokenizer word (whitespace / punctuation split) the piece belongs to
};

// `pieces` is tokenize(text) or a prefix of it (a truncated encoding), "##"
// marking continuations and "[UNK]" (the tokenizer's unk token) a whole word.
// A piece that cannot be aligned (and every piece after it) gets -1.
std::vector<TokenSpan> align_pieces(const std::string& text, const std::vector<std::string>& pieces,
                                    const std::string& unk_token = "[UNK]");

// The code points [start, end) of a UTF-8 text, as a UTF-8 string.
std::string substr_chars(const std::string& text, int64_t start, int64_t end);

}  // namespace qdq::pipelines
