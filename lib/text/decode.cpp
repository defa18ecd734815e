#include "text/decode.h"

#include "text/unicode.h"

namespace qdq::text {
namespace {

// Python's str.replace: left to right, non-overlapping.
std::string replace_all(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

}  // namespace

std::string wordpiece_tokens_to_string(const std::vector<std::string>& tokens) {
  std::string joined;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) joined += ' ';
    joined += tokens[i];
  }
  joined = replace_all(joined, " ##", "");
  // str.strip(): Unicode whitespace at both ends.
  std::u32string u = utf8_decode(joined);
  size_t b = 0, e = u.size();
  while (b < e && is_py_space(u[b])) ++b;
  while (e > b && is_py_space(u[e - 1])) --e;
  return utf8_encode(std::u32string_view(u).substr(b, e - b));
}

std::string clean_up_tokenization(std::string s) {
  static const char* const kRules[][2] = {{" .", "."},     {" ?", "?"},     {" !", "!"},     {" ,", ","},
                                          {" ' ", "'"},    {" n't", "n't"}, {" 'm", "'m"},   {" 's", "'s"},
                                          {" 've", "'ve"}, {" 're", "'re"}};
  for (auto& r : kRules) s = replace_all(s, r[0], r[1]);
  return s;
}

}  // namespace qdq::text
