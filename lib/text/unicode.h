#pragma once
// The slice of Python's str/unicodedata behaviour that BERT tokenization
// depends on: UTF-8 codec, character classes, NFD/NFC, str.lower().
#include <string>
#include <string_view>

namespace qdq::text {

// Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF), as
// Python's bytes.decode("utf-8") accepts it. Throws Error "text is not valid
// UTF-8 (byte <offset>)"; the caller adds the location.
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(std::u32string_view s);
void append_utf8(std::string& out, char32_t c);

bool is_control(char32_t c);          // tokenization_bert._is_control
bool is_bert_whitespace(char32_t c);  // tokenization_bert._is_whitespace
bool is_py_space(char32_t c);         // str.isspace()
bool is_punctuation(char32_t c);      // tokenization_bert._is_punctuation
bool is_mn(char32_t c);               // unicodedata.category(c) == "Mn"
bool is_cjk(char32_t c);              // BasicTokenizer._is_chinese_char
int combining_class(char32_t c);

std::u32string nfd(std::u32string_view s);  // unicodedata.normalize("NFD", s)
std::u32string nfc(std::u32string_view s);  // unicodedata.normalize("NFC", s)
std::u32string py_lower(std::u32string_view s);  // str.lower(), final sigma included

}  // namespace qdq::text
