// Task metrics on hand-computed cases (the arithmetic is in the comments).
#include <doctest/doctest.h>

#include "quantization/eval_set.h"
#include "quantization/metrics.h"
#include "quantization/tune.h"

using namespace qdq::quantization;

TEST_CASE("ROUGE-L F1 and exact match over lower-cased whitespace words") {
  // pred the cat sat on the mat (6), ref the cat is on the mat (6): LCS the cat on the mat = 5;
  // P = R = 5/6, F1 = 5/6.
  CHECK(rouge_l_f1("the cat sat on the mat", "The cat is on the mat") == doctest::Approx(5.0 / 6));
  // a b c vs c b a: LCS 1, P = R = 1/3.
  CHECK(rouge_l_f1("a b c", "c b a") == doctest::Approx(1.0 / 3));
  // opengl library for opengl vs opengl library: LCS 2, P 2/4, R 2/2, F1 = 2 * .5 * 1 / 1.5 = 2/3.
  CHECK(rouge_l_f1("opengl library for opengl", "opengl library") == doctest::Approx(2.0 / 3));
  CHECK(rouge_l_f1("x", "a b") == 0.0);
  CHECK(rouge_l_f1("", "a") == 0.0);
  CHECK(rouge_l_f1("", " ") == 1.0);
  CHECK(exact_match("Hello  World", "hello world"));
  CHECK(exact_match(" a\tb\n", "a b"));
  CHECK_FALSE(exact_match("hello world.", "hello world"));
}

TEST_CASE("SQuAD v1.1 exact match and F1") {
  CHECK(squad_normalize("The  Eiffel Tower!") == "eiffel tower");
  CHECK(squad_normalize("an apple, a day") == "apple day");
  CHECK(squad_exact("the eiffel tower", {"Paris", "Eiffel Tower."}) == 1.0);
  CHECK(squad_exact("eiffel", {"Eiffel Tower"}) == 0.0);
  // eiffel tower in paris (4) vs eiffel tower (2): common 2, P 1/2, R 1, F1 2/3.
  CHECK(squad_f1("eiffel tower in paris", {"The Eiffel Tower"}) == doctest::Approx(2.0 / 3));
  // the best answer counts: vs "paris" common 1, P 1/4, R 1, F1 0.4 < 2/3.
  CHECK(squad_f1("eiffel tower in paris", {"paris", "the Eiffel Tower"}) == doctest::Approx(2.0 / 3));
  CHECK(squad_f1("", {"x"}) == 0.0);
}

TEST_CASE("accuracy and macro-F1 over labels") {
  const std::vector<std::string> pred{"a", "b", "a", "c"}, ref{"a", "b", "b", "c"};
  CHECK(accuracy(pred, ref) == doctest::Approx(0.75));
  // a: tp 1, fp 1, fn 0 -> 2/3; b: tp 1, fp 0, fn 1 -> 2/3; c: tp 1 -> 1. Mean 7/9.
  CHECK(macro_f1(pred, ref) == doctest::Approx(7.0 / 9));
  // A label only predicted counts with F1 0: a -> 1 (tp 1), z: tp 0 -> 0, b: tp 0, fn 1 -> 0. Mean 1/3.
  CHECK(macro_f1({"a", "z"}, {"a", "b"}) == doctest::Approx(1.0 / 3));
}

TEST_CASE("eval records: references read and checked") {
  const auto r = eval_record_from_json(
      nlohmann::json::parse(R"({"id": 3, "text": "t", "text_pair": "p", "label": "libs"})"), "f:1");
  CHECK(r.text == "t");
  CHECK(*r.pair == "p");
  CHECK(r.label->get<std::string>() == "libs");
  const auto q = eval_record_from_json(
      nlohmann::json::parse(R"({"question": "q", "context": "c", "answers": {"text": ["x", "y"], "answer_start": [0, 2]}})"),
      "f:2");
  CHECK(q.text == "q");
  CHECK(*q.pair == "c");
  CHECK(q.answers->size() == 2);
  CHECK_THROWS_WITH(eval_record_from_json(nlohmann::json::parse(R"({"text": "t", "label": 1.5})"), "f:3"),
                    doctest::Contains("f:3: \"label\" must be a string or an integer"));
  CHECK_THROWS_WITH(eval_record_from_json(nlohmann::json::parse(R"({"text": "t", "answers": [1]})"), "f:4"),
                    doctest::Contains("f:4"));
  EvalRecord a, b;
  a.label = "x";
  b.where = "f:9";
  CHECK_THROWS_WITH(reference_kind({a, b}), doctest::Contains("f:9: no \"label\""));
  CHECK(reference_kind({a}) == "label");
  CHECK(reference_kind({b}).empty());
}

TEST_CASE("--max-loss: absolute or relative") {
  double v = 0;
  bool rel = false;
  parse_max_loss("0.005", v, rel);
  CHECK(v == doctest::Approx(0.005));
  CHECK_FALSE(rel);
  parse_max_loss("1%", v, rel);
  CHECK(v == doctest::Approx(0.01));
  CHECK(rel);
  CHECK_THROWS(parse_max_loss("-1", v, rel));
  CHECK_THROWS(parse_max_loss("1x", v, rel));
  CHECK_THROWS(parse_max_loss("%", v, rel));
}
