#include "text/unicode.h"

#include <algorithm>

#include "core/error.h"
#include "text/unicode_tables.h"

namespace qdq::text {
namespace t = tables;

namespace {

bool in_ranges(const t::CpRange* r, size_t n, char32_t c) {
  const t::CpRange* end = r + n;
  auto it = std::upper_bound(r, end, c, [](char32_t v, const t::CpRange& x) { return v < x.lo; });
  return it != r && c <= (it - 1)->hi;
}

const t::Decomp* find_map(const t::Decomp* m, size_t n, char32_t c) {
  const t::Decomp* end = m + n;
  auto it = std::lower_bound(m, end, c, [](const t::Decomp& x, char32_t v) { return x.cp < v; });
  return it != end && it->cp == c ? it : nullptr;
}

// Hangul syllable arithmetic (Unicode 14, section 3.12).
constexpr char32_t SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
constexpr char32_t LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

// Returns the number of continuation bytes and the code point's initial bits,
// or -1 for a byte that cannot start a sequence.
int lead_bytes(unsigned char b, char32_t& cp) {
  if (b < 0x80) { cp = b; return 0; }
  if (b >= 0xC2 && b <= 0xDF) { cp = b & 0x1F; return 1; }
  if (b >= 0xE0 && b <= 0xEF) { cp = b & 0x0F; return 2; }
  if (b >= 0xF0 && b <= 0xF4) { cp = b & 0x07; return 3; }
  return -1;
}

// Decodes one code point at s[i]; returns false on an invalid sequence.
bool decode_one(std::string_view s, size_t& i, char32_t& out) {
  char32_t cp;
  int n = lead_bytes(static_cast<unsigned char>(s[i]), cp);
  if (n < 0 || s.size() - i <= static_cast<size_t>(n)) return false;
  for (int k = 1; k <= n; ++k) {
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlongs (E0 80..9F, F0 80..8F), surrogates, and values past U+10FFFF.
  if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return false;
  i += n + 1;
  out = cp;
  return true;
}

}  // namespace

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    size_t at = i;
    if (!decode_one(s, i, c)) throw Error("text is not valid UTF-8 (byte {})", at);
    out.push_back(c);
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string utf8_encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

bool is_control(char32_t c) { return in_ranges(t::kControl, t::kControl_size, c); }
bool is_bert_whitespace(char32_t c) { return in_ranges(t::kBertSpace, t::kBertSpace_size, c); }
bool is_py_space(char32_t c) { return in_ranges(t::kPySpace, t::kPySpace_size, c); }
bool is_punctuation(char32_t c) { return in_ranges(t::kPunct, t::kPunct_size, c); }
bool is_mn(char32_t c) { return in_ranges(t::kMn, t::kMn_size, c); }

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

int combining_class(char32_t c) {
  const t::CccRange* end = t::kCcc + t::kCcc_size;
  auto it = std::upper_bound(t::kCcc, end, c, [](char32_t v, const t::CccRange& x) { return v < x.lo; });
  return it != t::kCcc && c <= (it - 1)->hi ? (it - 1)->ccc : 0;
}

std::u32string nfd(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size() + s.size() / 2);
  for (char32_t c : s) {
    if (c >= SBase && c < SBase + SCount) {
      char32_t si = c - SBase;
      out.push_back(LBase + si / NCount);
      out.push_back(VBase + (si % NCount) / TCount);
      if (si % TCount) out.push_back(TBase + si % TCount);
    } else if (const t::Decomp* d = find_map(t::kDecomp, t::kDecomp_size, c)) {
      out.append(t::kDecompPool + d->off, t::kDecompPool + d->off + d->len);
    } else {
      out.push_back(c);
    }
  }
  // Canonical ordering: stable sort of each run of non-starters by class.
  for (size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) { ++i; continue; }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(out.begin() + i, out.begin() + j,
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

namespace {
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
    return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
  if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
    return a + (b - TBase);
  const t::Compose* end = t::kCompose + t::kCompose_size;
  auto it = std::lower_bound(t::kCompose, end, std::make_pair(a, b), [](const t::Compose& x, auto v) {
    return x.first < v.first || (x.first == v.first && x.second < v.second);
  });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}
}  // namespace

std::u32string nfc(std::u32string_view s) {
  std::u32string d = nfd(s);
  std::u32string out;
  out.reserve(d.size());
  size_t starter = std::u32string::npos;
  int last_cc = 0;
  for (char32_t c : d) {
    int cc = combining_class(c);
    if (starter != std::u32string::npos) {
      bool adjacent = starter + 1 == out.size();
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        if (char32_t comp = compose_pair(out[starter], c)) {
          out[starter] = comp;
          continue;
        }
      }
    }
    if (cc == 0) starter = out.size();
    last_cc = cc;
    out.push_back(c);
  }
  return out;
}

namespace {
bool case_ignorable(char32_t c) { return in_ranges(t::kCaseIgnorable, t::kCaseIgnorable_size, c); }
bool cased(char32_t c) { return in_ranges(t::kCased, t::kCased_size, c); }

// CPython's handle_capital_sigma: final form when preceded by a cased letter
// and not followed by one (case-ignorable characters skipped both ways).
bool final_sigma(std::u32string_view s, size_t i) {
  size_t j = i;
  while (j > 0 && case_ignorable(s[j - 1])) --j;
  if (j == 0 || !cased(s[j - 1])) return false;
  size_t k = i + 1;
  while (k < s.size() && case_ignorable(s[k])) ++k;
  return k == s.size() || !cased(s[k]);
}
}  // namespace

std::u32string py_lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0x3A3) {
      out.push_back(final_sigma(s, i) ? 0x3C2 : 0x3C3);
    } else if (const t::Decomp* m = find_map(t::kLower, t::kLower_size, c)) {
      out.append(t::kLowerPool + m->off, t::kLowerPool + m->off + m->len);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace qdq::text
