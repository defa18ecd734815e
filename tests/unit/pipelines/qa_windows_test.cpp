// Question answering over a long context (lib/pipelines/qa_windows.h), as
// Hugging Face's question-answering pipeline does it: the windows its
// tokenizer call (truncation="only_second", stride, overflowing tokens) makes,
// the span choice per window, the merge over windows; and, with the fixture
// model, that answers depend on neither the batch size nor how the inputs are
// split. The window rules asserted here are those of tokenizers'
// Encoding::truncate (windows of B context tokens starting every B - stride).
#include <doctest/doctest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "models/bert/task_model.h"
#include "models/model.h"
#include "pipelines/encode_pipeline.h"
#include "pipelines/qa_windows.h"
#include "text/tokenizer.h"

using namespace qdq;
using namespace qdq::pipelines;

namespace {
const std::string kQa = std::string(QDQRT_FIXTURES) + "/qdqbert-qa-from-bert";

const text::Tokenizer& tok() {
  static const auto t = text::load_tokenizer(kQa);
  return *t;
}

// "w0 w1 ... " style filler made of real words, n words long, with `insert` after word `at`.
std::string filler(int n, int at = -1, const std::string& insert = "") {
  static const char* words[] = {"the", "license", "applies", "to", "each", "covered", "work", "and", "its",
                                "source", "code", "form", "may", "be", "distributed", "freely"};
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i == at) s += insert + " ";
    s += std::string(words[i % 16]) + (i % 7 == 6 ? ". " : " ");
  }
  return s + "End.";
}

// Logits a reader model would give: high start logit on `start_piece`, high end logit on `end_piece`.
void fake_logits(const text::Encoding& e, const std::string& start_piece, const std::string& end_piece,
                 std::vector<float>& s, std::vector<float>& en) {
  s.assign(e.tokens.size(), 0.0f);
  en.assign(e.tokens.size(), 0.0f);
  for (size_t t = 0; t < e.tokens.size(); ++t) {
    s[t] = e.tokens[t] == start_piece ? 8.0f : 0.01f * static_cast<float>(t % 5);
    en[t] = e.tokens[t] == end_piece ? 8.0f : 0.01f * static_cast<float>(t % 3);
  }
}

Record answer(const QaExample& ex, const QaOptions& o, const std::string& a, const std::string& b) {
  std::vector<std::vector<QaSpan>> per;
  for (size_t w = 0; w < ex.windows.size(); ++w) {
    std::vector<float> s, e;
    fake_logits(ex.windows[w], a, b, s, e);
    per.push_back(qa_window_spans(s.data(), e.data(), tok(), ex, w, o));
  }
  return qa_record(per, ex, o.top_k);
}
}  // namespace

TEST_CASE("qa_windows: a context that fits is one window, exactly tok(question, context)") {
  QaOptions o;
  const std::string q = "Who is the license steward?", c = "The Mozilla Foundation, Inc. is the license steward.";
  const QaExample ex = qa_windows(tok(), q, c, o);
  REQUIRE(ex.windows.size() == 1);
  const text::Encoding want = tok().encode(q, c, text::EncodeOptions{});
  CHECK(ex.windows[0].input_ids == want.input_ids);
  CHECK(ex.windows[0].token_type_ids == want.token_type_ids);
  CHECK(ex.windows[0].attention_mask == want.attention_mask);
  CHECK(ex.windows[0].tokens == want.tokens);
}

TEST_CASE("qa_windows: the question is whole in every window; windows overlap by doc_stride and cover the context") {
  QaOptions o;
  o.max_length = 64;
  o.doc_stride = 16;
  const std::string q = "Which form of the source code may be distributed under this license?";
  const std::string c = filler(400);
  const auto qp = tok().tokenize(q), cp = tok().tokenize(c);
  const QaExample ex = qa_windows(tok(), q, c, o);
  const int64_t nq = static_cast<int64_t>(qp.size()), nc = static_cast<int64_t>(cp.size());
  const int64_t budget = o.max_length - nq - 3, step = budget - o.doc_stride;
  REQUIRE(nc > budget);
  // tokenizers: starts 0, step, 2 step, ... until a window reaches the end.
  const size_t want_windows = static_cast<size_t>(1 + (nc - budget + step - 1) / step);
  REQUIRE(ex.windows.size() == want_windows);
  for (size_t w = 0; w < ex.windows.size(); ++w) {
    const auto& e = ex.windows[w];
    CHECK(static_cast<int64_t>(e.input_ids.size()) <= o.max_length);
    CHECK(ex.window_begin[w] == static_cast<int64_t>(w) * step);
    REQUIRE(e.tokens.front() == "[CLS]");
    for (int64_t i = 0; i < nq; ++i) CHECK(e.tokens[1 + i] == qp[i]);  // the question, never cut
    CHECK(e.tokens[1 + nq] == "[SEP]");
    CHECK(e.tokens.back() == "[SEP]");
    const int64_t n = static_cast<int64_t>(e.tokens.size()) - nq - 3;
    CHECK(n == std::min(budget, nc - ex.window_begin[w]));
    for (int64_t k = 0; k < n; ++k) CHECK(e.tokens[2 + nq + k] == cp[ex.window_begin[w] + k]);
    for (size_t t = 0; t < e.tokens.size(); ++t) CHECK(e.token_type_ids[t] == (t >= static_cast<size_t>(nq + 2)));
    if (w + 1 < ex.windows.size()) CHECK(n == budget);  // full windows, so consecutive ones share doc_stride
  }
  CHECK(ex.window_begin.back() + budget >= nc);
}

TEST_CASE("qa_windows: an answer in a late window, with character offsets into the original context") {
  QaOptions o;
  o.max_length = 64;
  o.doc_stride = 16;
  const std::string insert = "the Zébra Foundation, Inc. stewards it";
  const std::string c = filler(300, 250, insert);
  const QaExample ex = qa_windows(tok(), "Who stewards the zebra license?", c, o);
  REQUIRE(ex.windows.size() > 5);
  const Record r = answer(ex, o, "zebra", "inc");
  // Code points, not bytes (é is two bytes): the offsets slice the context to the answer.
  const std::string want = "Zébra Foundation, Inc";
  CHECK(r["answer"] == want);
  const std::u32string c32 = [&] {
    std::u32string u;
    for (size_t i = 0; i < c.size();) {
      const unsigned char b = static_cast<unsigned char>(c[i]);
      const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      u += static_cast<char32_t>(i);  // the byte offset stands for the code point
      i += n;
    }
    return u;
  }();
  const size_t byte_start = c.find(want);
  REQUIRE(byte_start != std::string::npos);
  CHECK(c32[r["start"].get<size_t>()] == byte_start);
  CHECK(c32[r["end"].get<size_t>()] == byte_start + want.size());
  // The question's "zebra" is no answer (masked), though it is in every window.
  CHECK(r["score"].get<float>() > 0.5f);
}

TEST_CASE("qa_windows: --max-answer-len bounds the span; --top-k lists answers best first") {
  QaOptions o;
  o.max_length = 64;
  o.doc_stride = 16;
  const std::string c = filler(200, 120, "alpha one two three four omega");
  const QaExample ex = qa_windows(tok(), "What?", c, o);
  CHECK(answer(ex, o, "alpha", "omega")["answer"] == "alpha one two three four omega");  // 6 tokens
  QaOptions shorter = o;
  shorter.max_answer_len = 5;
  const Record r5 = answer(ex, shorter, "alpha", "omega");
  CHECK(r5["answer"] != "alpha one two three four omega");
  CHECK(tok().tokenize(r5["answer"].get<std::string>()).size() <= 5);
  QaOptions k3 = o;
  k3.top_k = 3;
  const Record r3 = answer(ex, k3, "alpha", "omega");
  REQUIRE(r3["answers"].size() == 3);
  CHECK(r3["answers"][0]["answer"] == r3["answer"]);
  CHECK(r3["answers"][0]["score"].get<float>() >= r3["answers"][1]["score"].get<float>());
  CHECK(r3["answers"][1]["score"].get<float>() >= r3["answers"][2]["score"].get<float>());
  CHECK(r3["answer"] == "alpha one two three four omega");
  CHECK_FALSE(answer(ex, o, "alpha", "omega").contains("answers"));  // top_k 1: one answer, no list
}

TEST_CASE("qa_windows: refuses what the pipeline refuses") {
  QaOptions o;
  CHECK_THROWS_WITH_AS(qa_windows(tok(), "Who?", "", o), doctest::Contains("needs a context"), Error);
  CHECK_THROWS_WITH_AS(qa_windows(tok(), "", "ctx", o), doctest::Contains("question is empty"), Error);
  CHECK_THROWS_WITH_AS(qa_windows(tok(), "Who?", " \t ", o), doctest::Contains("no tokens"), Error);
  o.max_length = 8;
  CHECK_THROWS_WITH_AS(qa_windows(tok(), "who is the license steward of it", "ctx", o),
                       doctest::Contains("never truncated"), Error);
  o.max_length = 32;
  o.doc_stride = 30;
  CHECK_THROWS_WITH_AS(qa_windows(tok(), "who?", filler(100), o), doctest::Contains("--doc-stride 30"), Error);
  CHECK(qa_windows(tok(), "who?", "a short context", o).windows.size() == 1);  // no split, no stride needed
}

TEST_CASE("EncodePipeline QA: the same answers for every batch size and input split; a missing context names its input") {
  auto m = models::load_model(kQa);
  auto* bert = dynamic_cast<models::bert::BertTaskModel*>(m.get());
  REQUIRE(bert != nullptr);
  std::vector<TextInput> in;
  for (int i = 0; i < 7; ++i)
    in.push_back({"What may be distributed?", filler(40 + 60 * i, 10 + 7 * i, "the zebra code"),
                  "in:" + std::to_string(i + 1)});
  auto run = [&](int64_t bs, int64_t top_k, size_t split) {
    EncodeSettings s;
    s.batch_size = bs;
    s.max_length = 96;
    s.doc_stride = 32;
    s.top_k = top_k;
    EncodePipeline p(*bert, tok(), s);
    std::vector<std::string> out;
    for (size_t a = 0; a < in.size(); a += split) {
      std::vector<TextInput> part(in.begin() + static_cast<std::ptrdiff_t>(a),
                                  in.begin() + static_cast<std::ptrdiff_t>(std::min(in.size(), a + split)));
      for (auto& r : p.run(part)) out.push_back(r.dump());
    }
    return out;
  };
  // The spans exactly; the scores to float rounding (a GEMM's sums round differently with the batch's
  // shape, as for every head: tests/cli/encode.sh compares at 1e-5).
  auto same = [](const std::vector<std::string>& x, const std::vector<std::string>& y) {
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      auto a = nlohmann::json::parse(x[i]), b = nlohmann::json::parse(y[i]);
      if (!a.contains("answers")) a["answers"] = {a}, b["answers"] = {b};
      REQUIRE(a["answers"].size() == b["answers"].size());
      for (size_t k = 0; k < a["answers"].size(); ++k) {
        const auto &u = a["answers"][k], &v = b["answers"][k];
        CHECK(u["answer"] == v["answer"]);
        CHECK(u["start"] == v["start"]);
        CHECK(u["end"] == v["end"]);
        CHECK(u["score"].get<double>() == doctest::Approx(v["score"].get<double>()).epsilon(1e-5));
      }
    }
  };
  const auto want = run(1, 1, in.size());
  same(run(3, 1, in.size()), want);
  same(run(16, 1, in.size()), want);
  same(run(4, 1, 2), want);
  same(run(2, 3, 3), run(5, 3, in.size()));
  EncodeSettings s;
  EncodePipeline p(*bert, tok(), s);
  CHECK_THROWS_WITH_AS(p.run({{"Who?", std::nullopt, "q.jsonl:3"}}), doctest::Contains("q.jsonl:3: question answering needs a context"), Error);
  CHECK_THROWS_WITH_AS(p.run({{"Who?", std::string(), "q.jsonl:4"}}), doctest::Contains("q.jsonl:4: question answering needs a context"), Error);
}
