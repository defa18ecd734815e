// parse_jsonl_line and the UTF-8 validator, which is checked against a plain
// decode-then-range-check reference on every input.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/jsonl.h"

namespace {
bool reference_valid(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (!len || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += len;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  if (qdq::is_valid_utf8(line) != reference_valid(data, size)) __builtin_trap();
  try {
    nlohmann::json j = qdq::parse_jsonl_line(line, "fuzz.jsonl", 1);
    if (!j.is_object()) __builtin_trap();
    (void)j.dump();  // valid UTF-8 in, so dumping must not throw
  } catch (const qdq::Error&) {
  }
  return 0;
}
