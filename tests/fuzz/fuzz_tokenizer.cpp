// The tokenizers on arbitrary bytes. First byte: 0 = parse the rest as a
// vocabulary file (load_vocab_from_string) and tokenize with it; otherwise
// tokenize / encode (with truncation and padding picked by that byte) /
// decode the rest with the fixture's BERT or ProphetNet tokenizer. Bad input
// may throw qdq::Error; anything else (crash, sanitizer report, other
// exception) is a bug. The fixture directory comes from $QDQRT_FIXTURES, else
// from the source tree; without it a built-in toy vocabulary is used.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"
#include "text/vocab.h"
#include "text/wordpiece_tokenizer.h"

namespace {

using namespace qdq::text;

const char kToyVocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n.\n,\n[\n]\na\n##b\n";

std::unique_ptr<Tokenizer> make(const std::string& kind) {
  namespace fs = std::filesystem;
  const char* env = std::getenv("QDQRT_FIXTURES");
  fs::path dir = env ? fs::path(env) : fs::path(__FILE__).parent_path().parent_path() / "fixtures";
  try {
    return load_tokenizer((dir / "tokenizer").string(), kind);
  } catch (const qdq::Error&) {
    return std::make_unique<WordPieceTokenizer>(default_config(kind), load_vocab_from_string(kToyVocab, "toy"),
                                                "toy");
  }
}

void exercise(const Tokenizer& tok, const std::string& text, uint8_t mode) {
  tok.tokenize(text);
  EncodeOptions o;
  o.add_special_tokens = (mode & 1) == 0;
  if (mode & 2) o.max_length = (mode >> 4) % 12;
  if (mode & 4) {
    o.truncate = true;
    static const char* const kStrategies[] = {"longest_first", "only_first", "only_second", "do_not_truncate"};
    o.truncation = kStrategies[(mode >> 2) % 4];
    o.stride = mode % 3;
  }
  if (mode & 8) o.padding = "max_length";
  std::optional<std::string> pair;
  if (mode & 0x40) {
    size_t half = text.size() / 2;
    pair = text.substr(half);
    Encoding e = tok.encode(text.substr(0, half), pair, o);
    tok.decode(e.input_ids, mode & 0x80);
  } else {
    Encoding e = tok.encode(text, pair, o);
    tok.decode(e.input_ids, mode & 0x80);
  }
  // Arbitrary ids decode to something, never crash.
  std::vector<int64_t> ids;
  for (size_t i = 0; i + 2 <= text.size() && ids.size() < 64; i += 2)
    ids.push_back((static_cast<int64_t>(static_cast<uint8_t>(text[i])) << 8 | static_cast<uint8_t>(text[i + 1])) -
                  100);
  tok.decode(ids, mode & 0x80);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Tokenizer> bert = make("bert");
  static const std::unique_ptr<Tokenizer> prophetnet = make("prophetnet");
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (mode == 0) {
      Vocab v = load_vocab_from_string(rest, "fuzz");
      WordPieceTokenizer tok(default_config("bert"), std::move(v), "fuzz");
      exercise(tok, "hello [MASK] world, a ab", 0);
      tok.decode({0, 1, 2, 3, 100000}, false);
      return 0;
    }
    exercise(mode & 0x20 ? *prophetnet : *bert, rest, mode);
  } catch (const qdq::Error&) {
  }
  return 0;
}
