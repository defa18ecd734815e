// lib/pipelines on arbitrary text: character alignment of word pieces
// (align_pieces, the QA / NER offsets) and bounded tokenization
// (encode_bounded, token_prefix) must give in-range, ordered spans and the
// same encoding as full tokenization, or a qdq::Error (text that is not
// UTF-8); never a crash. First byte: max_length (1..64) and whether the rest
// is split at the first tab into a pair. Vocabulary: the fixture's BERT one.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.h"
#include "pipelines/bounded_encode.h"
#include "pipelines/char_offsets.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace {
std::unique_ptr<qdq::text::Tokenizer> make() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("QDQRT_FIXTURES");
  fs::path dir = env ? fs::path(env) : fs::path(__FILE__).parent_path().parent_path() / "fixtures";
  return qdq::text::load_tokenizer((dir / "tokenizer").string(), "bert");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto tok = make();
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const auto pieces = tok->tokenize(text);
    const auto spans = qdq::pipelines::align_pieces(text, pieces);
    const int64_t n = static_cast<int64_t>(qdq::text::utf8_decode(text).size());
    int64_t prev = 0;
    for (const auto& s : spans) {
      if (s.start < 0) break;
      if (s.start < prev || s.end < s.start || s.end > n) __builtin_trap();
      prev = s.end;
    }
    std::optional<std::string> pair;
    if (mode & 0x80) {
      const size_t tab = text.find('\t');
      if (tab != std::string::npos) {
        pair = text.substr(tab + 1);
        text.resize(tab);
      }
    }
    qdq::text::EncodeOptions o;
    o.truncate = true;
    o.max_length = 1 + (mode & 0x3f);
    o.truncation = (mode & 0x40) ? "only_first" : "longest_first";
    qdq::text::Encoding full;
    try {
      full = tok->encode(text, pair, o);
    } catch (const qdq::Error&) {
      return 0;  // e.g. only_first cannot remove enough tokens
    }
    const auto b = qdq::pipelines::encode_bounded(*tok, text, pair, o);
    if (b.encoding.input_ids != full.input_ids) __builtin_trap();
  } catch (const qdq::Error&) {
  }
  return 0;
}
