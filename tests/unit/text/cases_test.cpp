// Every case of tests/fixtures/tokenizer/cases.jsonl (recorded from
// transformers 4.37.2's slow tokenizers) against our tokenizers.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "text/tokenizer.h"

using namespace qdq;
using nlohmann::json;

namespace {

const std::string kDir = std::string(QDQRT_FIXTURES) + "/tokenizer";

text::EncodeOptions options_of(const json& call) {
  text::EncodeOptions o;
  if (call.contains("add_special_tokens")) o.add_special_tokens = call["add_special_tokens"].get<bool>();
  if (call.contains("max_length")) o.max_length = call["max_length"].get<int64_t>();
  if (call.contains("stride")) o.stride = call["stride"].get<int64_t>();
  if (call.contains("truncation")) {
    const json& t = call["truncation"];
    o.truncate = true;
    o.truncation = t.is_boolean() ? (t.get<bool>() ? "longest_first" : "do_not_truncate") : t.get<std::string>();
  }
  if (call.contains("padding")) {
    const json& p = call["padding"];
    o.padding = p.is_boolean() ? (p.get<bool>() ? "longest" : "do_not_pad") : p.get<std::string>();
  }
  return o;
}

template <class T>
std::string show(const std::vector<T>& v) {
  return json(v).dump();
}

}  // namespace

TEST_CASE("tokenizer fixture cases: every case matches transformers 4.37.2") {
  auto bert = text::load_tokenizer(kDir, "bert");
  auto pn = text::load_tokenizer(kDir, "prophetnet");
  std::ifstream in(kDir + "/cases.jsonl");
  REQUIRE(in);
  std::string line;
  int n = 0, failed = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json c = json::parse(line);
    ++n;
    const text::Tokenizer& tok = c["tokenizer"] == "bert" ? *bert : *pn;
    const std::string name = c["name"].get<std::string>();
    std::optional<std::string> pair;
    if (c.contains("text_pair")) pair = c["text_pair"].get<std::string>();
    bool ok = true;
    auto expect = [&](bool cond, const std::string& what, const std::string& got, const std::string& want) {
      if (!cond) {
        ok = false;
        MESSAGE(name << ": " << what << "\n  got  " << got << "\n  want " << want);
      }
    };
    auto wp = tok.tokenize(c["text"].get<std::string>());
    expect(wp == c["wordpieces"].get<std::vector<std::string>>(), "wordpieces", show(wp), c["wordpieces"].dump());
    if (pair) {
      auto wpp = tok.tokenize(*pair);
      expect(wpp == c["wordpieces_pair"].get<std::vector<std::string>>(), "wordpieces_pair", show(wpp),
             c["wordpieces_pair"].dump());
    }
    if (c.contains("error")) {
      bool threw = false;
      try {
        tok.encode(c["text"].get<std::string>(), pair, options_of(c["call"]));
      } catch (const Error&) {
        threw = true;
      }
      expect(threw, "error", "no error", c["error"].dump());
    } else {
      text::Encoding e = tok.encode(c["text"].get<std::string>(), pair, options_of(c["call"]));
      expect(e.tokens == c["tokens"].get<std::vector<std::string>>(), "tokens", show(e.tokens), c["tokens"].dump());
      expect(e.input_ids == c["input_ids"].get<std::vector<int64_t>>(), "input_ids", show(e.input_ids),
             c["input_ids"].dump());
      expect(e.attention_mask == c["attention_mask"].get<std::vector<int64_t>>(), "attention_mask",
             show(e.attention_mask), c["attention_mask"].dump());
      if (c.contains("token_type_ids"))
        expect(e.token_type_ids == c["token_type_ids"].get<std::vector<int64_t>>(), "token_type_ids",
               show(e.token_type_ids), c["token_type_ids"].dump());
      else
        expect(e.token_type_ids.empty(), "token_type_ids (none expected)", show(e.token_type_ids), "[]");
      if (c.contains("overflowing_tokens"))
        expect(e.overflowing_tokens == c["overflowing_tokens"].get<std::vector<int64_t>>(), "overflowing_tokens",
               show(e.overflowing_tokens), c["overflowing_tokens"].dump());
    }
    if (!ok) ++failed;
  }
  CHECK(n == 490);
  CHECK(failed == 0);
}
