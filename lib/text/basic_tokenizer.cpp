#include "text/basic_tokenizer.h"

#include "text/unicode.h"

namespace qdq::text {

std::vector<std::u32string> whitespace_split(std::u32string_view text) {
  std::vector<std::u32string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_py_space(text[i])) ++i;
    size_t j = i;
    while (j < text.size() && !is_py_space(text[j])) ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

namespace {

std::u32string clean_text(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0 || c == 0xFFFD || is_control(c)) continue;
    out.push_back(is_bert_whitespace(c) ? U' ' : c);
  }
  return out;
}

std::u32string space_cjk(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (is_cjk(c)) {
      out.push_back(U' ');
      out.push_back(c);
      out.push_back(U' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::u32string strip_accents(std::u32string_view text) {
  std::u32string out;
  for (char32_t c : nfd(text))
    if (!is_mn(c)) out.push_back(c);
  return out;
}

void split_on_punc(const std::u32string& text, std::vector<std::u32string>& out) {
  bool start_new = true;
  for (char32_t c : text) {
    if (is_punctuation(c)) {
      out.emplace_back(1, c);
      start_new = true;
    } else {
      if (start_new) out.emplace_back();
      start_new = false;
      out.back().push_back(c);
    }
  }
}

}  // namespace

std::vector<std::u32string> basic_tokenize(const BasicOptions& o, std::u32string_view input,
                                           const std::set<std::u32string>& extra) {
  auto never = [&](const std::u32string& t) { return o.never_split.count(t) || extra.count(t); };
  std::u32string text = clean_text(input);
  if (o.tokenize_chinese_chars) text = space_cjk(text);
  text = nfc(text);
  std::vector<std::u32string> split;
  for (std::u32string& tok : whitespace_split(text)) {
    if (!never(tok)) {
      if (o.do_lower_case) {
        tok = py_lower(tok);
        if (o.strip_accents.value_or(true)) tok = strip_accents(tok);
      } else if (o.strip_accents.value_or(false)) {
        tok = strip_accents(tok);
      }
    }
    if (!o.do_split_on_punc || never(tok))
      split.push_back(std::move(tok));
    else
      split_on_punc(tok, split);
  }
  // " ".join(split) re-split: drops empty pieces (a token stripped to nothing)
  // and splits pieces that lowercasing or NFD gave whitespace.
  std::u32string joined;
  for (size_t i = 0; i < split.size(); ++i) {
    if (i) joined.push_back(U' ');
    joined += split[i];
  }
  return whitespace_split(joined);
}

void wordpiece(std::u32string_view word, const Vocab& vocab, const std::string& unk, size_t max_chars,
               std::vector<std::string>& out) {
  if (word.size() > max_chars) {
    out.push_back(unk);
    return;
  }
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    std::string found;
    while (start < end) {
      std::string sub = start > 0 ? "##" : "";
      sub += utf8_encode(word.substr(start, end - start));
      if (vocab.ids.count(sub)) {
        found = std::move(sub);
        break;
      }
      --end;
    }
    if (start == end) {
      out.push_back(unk);
      return;
    }
    pieces.push_back(std::move(found));
    start = end;
  }
  for (auto& p : pieces) out.push_back(std::move(p));
}

}  // namespace qdq::text
