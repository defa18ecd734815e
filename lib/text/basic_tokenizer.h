#pragma once
// BasicTokenizer and WordpieceTokenizer of transformers' tokenization_bert.py.
// Text is handled as code points (std::u32string), as Python str is.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "text/vocab.h"

namespace qdq::text {

struct BasicOptions {
  bool do_lower_case = true;
  bool tokenize_chinese_chars = true;
  std::optional<bool> strip_accents;  // unset: follows do_lower_case
  bool do_split_on_punc = true;
  std::set<std::u32string> never_split;
};

// BasicTokenizer.tokenize(text, never_split=extra): clean, CJK spacing, NFC,
// whitespace split, lower/strip accents, punctuation split.
std::vector<std::u32string> basic_tokenize(const BasicOptions& o, std::u32string_view text,
                                           const std::set<std::u32string>& extra_never_split);

// Python's whitespace_tokenize: str.strip() then str.split().
std::vector<std::u32string> whitespace_split(std::u32string_view text);

// WordpieceTokenizer.tokenize on one whitespace-free word: greedy longest
// match with "##" continuations; the unk token when a piece is missing or the
// word is longer than max_chars code points.
void wordpiece(std::u32string_view word, const Vocab& vocab, const std::string& unk, size_t max_chars,
               std::vector<std::string>& out);

}  // namespace qdq::text
