#pragma once
// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
#include <string>
#include <string_view>

namespace qdq {
bool is_valid_utf8(std::string_view s);
// Error "<where>: text is not valid UTF-8 (byte N)".
void check_utf8(std::string_view s, const std::string& where);
}  // namespace qdq
