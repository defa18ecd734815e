// lib/pipelines without the CLI: word-piece character offsets against the
// word pieces Hugging Face recorded (tests/fixtures/tokenizer/cases.jsonl),
// bounded tokenization against full tokenization, length-sorted batching.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "pipelines/batching.h"
#include "pipelines/bounded_encode.h"
#include "pipelines/char_offsets.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

using namespace qdq;
using nlohmann::json;

namespace {
const std::string kTok = std::string(QDQRT_FIXTURES) + "/tokenizer";

std::vector<json> cases() {
  std::vector<json> v;
  std::ifstream in(kTok + "/cases.jsonl");
  std::string l;
  while (std::getline(in, l)) v.push_back(json::parse(l));
  return v;
}

// Lower case, no accents, no whitespace or control characters: what a piece spells.
std::u32string folded(const std::string& s) {
  std::u32string out;
  for (char32_t c : text::nfd(text::py_lower(text::utf8_decode(s))))
    if (!text::is_mn(c) && !text::is_bert_whitespace(c) && !text::is_control(c) && c != 0xFFFD && c != 0) out += c;
  return out;
}
}  // namespace

TEST_CASE("align_pieces: every recorded word piece maps onto the characters that spell it") {
  int aligned_cases = 0;
  for (const json& c : cases()) {
    if (!c.contains("wordpieces") || !c["text"].is_string()) continue;
    const std::string text = c["text"];
    const auto pieces = c["wordpieces"].get<std::vector<std::string>>();
    if (pieces.empty()) continue;
    const auto spans = pipelines::align_pieces(text, pieces);
    const int64_t nchars = static_cast<int64_t>(text::utf8_decode(text).size());
    bool all = true;
    int64_t prev_end = 0;
    for (size_t k = 0; k < pieces.size(); ++k) {
      if (spans[k].start < 0) {
        all = false;
        break;
      }
      CAPTURE(c["name"].get<std::string>());
      CAPTURE(k);
      CHECK(spans[k].start >= prev_end);
      CHECK(spans[k].end > spans[k].start);
      CHECK(spans[k].end <= nchars);
      prev_end = spans[k].end;
      const std::string& p = pieces[k];
      if (p == "[UNK]") continue;
      const std::string bare = p.rfind("##", 0) == 0 && p.size() > 2 ? p.substr(2) : p;
      CHECK(folded(pipelines::substr_chars(text, spans[k].start, spans[k].end)) == folded(bare));
    }
    aligned_cases += all;
  }
  // 480 of the 486 cases align fully today (the rest hold added tokens such as "[MASK]" inside the text).
  CHECK(aligned_cases >= 480);
}

TEST_CASE("align_pieces: offsets in code points, original case, words") {
  const std::string text = "Hello, Wörld unbelievable!";
  auto tok = text::load_tokenizer(kTok, "bert");
  const auto pieces = tok->tokenize(text);
  const auto spans = pipelines::align_pieces(text, pieces);
  REQUIRE(spans.size() == pieces.size());
  CHECK(pipelines::substr_chars(text, spans[0].start, spans[0].end) == "Hello");
  CHECK(pipelines::substr_chars(text, spans[1].start, spans[1].end) == ",");
  CHECK(spans[2].start == 7);  // "Wörld": 7 code points in, although 'ö' takes two bytes
  CHECK(pipelines::substr_chars(text, spans[2].start, spans[2].end) == "Wörld");
  CHECK(spans[1].word == 1);
  CHECK(spans.back().end == 26);
  // Continuation pieces of one word share its word index.
  std::set<int64_t> words;
  for (auto& s : spans) words.insert(s.word);
  CHECK(words.size() == 5);  // Hello , Wörld unbelievable !
}

TEST_CASE("encode_bounded equals full tokenization with truncation, for long texts and pairs") {
  auto tok = text::load_tokenizer(kTok, "bert");
  std::string long_text, other = "a short second segment of text";
  for (int i = 0; i < 3000; ++i) long_text += (i % 7 ? "word " : "Unbelievable, ");
  for (const char* strategy : {"longest_first", "only_first"}) {
    text::EncodeOptions o;
    o.truncate = true;
    o.truncation = strategy;
    o.max_length = 64;
    const auto full = tok->encode(long_text, other, o);
    const auto b = pipelines::encode_bounded(*tok, long_text, other, o);
    CHECK(b.encoding.input_ids == full.input_ids);
    CHECK(b.encoding.token_type_ids == full.token_type_ids);
    CHECK(b.truncated);
  }
  text::EncodeOptions o;
  o.truncate = true;
  o.max_length = 50;
  // Both segments longer than max_length: the split depends only on max_length.
  const auto full = tok->encode(long_text, long_text + " tail", o);
  const auto b = pipelines::encode_bounded(*tok, long_text, long_text + " tail", o);
  CHECK(b.encoding.input_ids == full.input_ids);
  // A short input is not truncated.
  const auto s = pipelines::encode_bounded(*tok, "hello world", std::nullopt, o);
  CHECK_FALSE(s.truncated);
  CHECK(s.encoding.input_ids == std::vector<int64_t>{101, 7592, 2088, 102});
}

TEST_CASE("encode_bounded equals full tokenization for every strategy, length and pair shape") {
  auto tok = text::load_tokenizer(kTok, "bert");
  const std::string words[] = {"license", "Unbelievable,", "source", "code", "ä", "form", "x"};
  for (int na : {0, 3, 30, 90}) {
    for (int nb : {-1, 0, 2, 30, 90}) {
      std::string a, b;
      for (int i = 0; i < na; ++i) a += words[(i * 5) % 7] + std::string(" ");
      for (int i = 0; i < nb; ++i) b += words[(i * 3) % 7] + std::string(" ");
      const std::optional<std::string> pair = nb < 0 ? std::nullopt : std::optional<std::string>(b);
      for (int64_t L : {1, 2, 3, 4, 7, 16, 40}) {
        for (const char* strategy : {"longest_first", "only_first", "only_second"}) {
          text::EncodeOptions o;
          o.truncate = true;
          o.truncation = strategy;
          o.max_length = L;
          CAPTURE(na);
          CAPTURE(nb);
          CAPTURE(L);
          CAPTURE(strategy);
          const auto full = tok->encode(a, pair, o);
          const auto got = pipelines::encode_bounded(*tok, a, pair, o);
          CHECK(got.encoding.input_ids == full.input_ids);
        }
      }
    }
  }
}

TEST_CASE("token_prefix reads only a bounded prefix of a long text") {
  auto tok = text::load_tokenizer(kTok, "bert");
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "word ";
  int64_t n = 0;
  const std::string p = pipelines::token_prefix(*tok, text, 100, &n);
  CHECK(n > 100);
  CHECK(p.size() < 5000);
}

TEST_CASE("length_sorted_batches: sorted, capped, every input once; same-length grouping") {
  const std::vector<int64_t> len = {5, 3, 9, 3, 1, 5, 7};
  const auto b = pipelines::length_sorted_batches(len, 3);
  REQUIRE(b.size() == 3);
  CHECK(b[0] == std::vector<size_t>{4, 1, 3});
  CHECK(b[1] == std::vector<size_t>{0, 5, 6});
  CHECK(b[2] == std::vector<size_t>{2});
  const auto g = pipelines::length_sorted_batches(len, 8, true);
  CHECK(g.size() == 5);  // lengths 1, 3, 5, 7, 9
  CHECK(g[1] == std::vector<size_t>{1, 3});
}
