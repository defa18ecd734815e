#include "pipelines/char_offsets.h"

#include "text/unicode.h"

namespace qdq::pipelines {

namespace {
using text::is_bert_whitespace;

// What BasicTokenizer leaves of one character, folded further (lower case,
// no accents) so cased and uncased vocabularies align alike.
std::u32string fold(char32_t c) {
  if (c == 0 || c == 0xFFFD || text::is_control(c) || is_bert_whitespace(c)) return {};
  std::u32string out;
  for (char32_t d : text::nfd(text::py_lower(std::u32string(1, c))))
    if (!text::is_mn(d)) out += d;
  return out;
}

bool splits_alone(char32_t c) { return text::is_punctuation(c) || text::is_cjk(c); }
}  // namespace

std::vector<TokenSpan> align_pieces(const std::string& text, const std::vector<std::string>& pieces,
                                    const std::string& unk_token) {
  const std::u32string s = text::utf8_decode(text);
  const int64_t n = static_cast<int64_t>(s.size());
  std::vector<TokenSpan> spans(pieces.size());
  int64_t pos = 0, word = -1;
  for (size_t k = 0; k < pieces.size(); ++k) {
    const std::string& p = pieces[k];
    const bool cont = p.size() > 2 && p[0] == '#' && p[1] == '#';
    if (!cont) {
      // A new word: skip what the tokenizer dropped (whitespace, controls).
      while (pos < n && fold(s[pos]).empty()) ++pos;
      ++word;
    }
    if (pos >= n) return spans;
    const int64_t start = pos;
    if (p == unk_token) {
      // [UNK] stands for a whole word (or one punctuation / CJK character).
      if (splits_alone(s[pos])) ++pos;
      else
        while (pos < n && !fold(s[pos]).empty() && !splits_alone(s[pos])) ++pos;
    } else {
      std::u32string want;
      for (char32_t c : text::utf8_decode(cont ? p.substr(2) : p)) {
        const std::u32string f = fold(c);
        want += f.empty() ? std::u32string(1, c) : f;
      }
      std::u32string got;
      while (pos < n && got.size() < want.size()) got += fold(s[pos++]);
      if (got != want) return spans;  // misaligned: leave the rest unknown
    }
    spans[k] = {start, pos, word};
  }
  return spans;
}

std::string substr_chars(const std::string& text, int64_t start, int64_t end) {
  const std::u32string s = text::utf8_decode(text);
  if (start < 0 || end < start || end > static_cast<int64_t>(s.size())) return "";
  return text::utf8_encode(s.substr(start, end - start));
}

}  // namespace qdq::pipelines
