#include "io/utf8.h"

#include <cstdint>

#include "core/error.h"

namespace qdq {

namespace {
// Offset of the first invalid byte, or s.size() when all is valid.
size_t first_invalid(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates U+D800..DFFF
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return i;  // continuation byte, C0/C1 overlong lead, or F5..FF
    }
    if (n - i < static_cast<size_t>(len)) return i;
    const auto c1 = static_cast<uint8_t>(s[i + 1]);
    if (c1 < lo || c1 > hi) return i;
    for (int k = 2; k < len; ++k)
      if ((static_cast<uint8_t>(s[i + k]) & 0xc0) != 0x80) return i;
    i += len;
  }
  return n;
}
}  // namespace

bool is_valid_utf8(std::string_view s) { return first_invalid(s) == s.size(); }

void check_utf8(std::string_view s, const std::string& where) {
  size_t bad = first_invalid(s);
  if (bad != s.size()) throw Error("{}: text is not valid UTF-8 (byte {})", where, bad);
}

}  // namespace qdq
