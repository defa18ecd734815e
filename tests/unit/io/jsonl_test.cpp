#include <doctest/doctest.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/jsonl.h"
#include "io_test_util.h"

using namespace qdq;
using namespace qdq::testing;

TEST_CASE("utf-8 validation: accepts all valid forms, rejects overlongs, surrogates, > U+10FFFF") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));   // é € 😀
  CHECK(is_valid_utf8("\xed\x9f\xbf"));                               // U+D7FF
  CHECK(is_valid_utf8("\xee\x80\x80"));                               // U+E000
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));                           // U+10FFFF
  CHECK(is_valid_utf8(std::string_view("a\0b", 3)));
  CHECK(!is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK(!is_valid_utf8("\xc1\xbf"));          // overlong
  CHECK(!is_valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK(!is_valid_utf8("\xf0\x80\x80\xaf"));  // overlong
  CHECK(!is_valid_utf8("\xed\xa0\x80"));      // U+D800 surrogate
  CHECK(!is_valid_utf8("\xed\xbf\xbf"));      // U+DFFF surrogate
  CHECK(!is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  CHECK(!is_valid_utf8("\xf5\x80\x80\x80"));
  CHECK(!is_valid_utf8("\xff"));
  CHECK(!is_valid_utf8("\x80"));              // lone continuation
  CHECK(!is_valid_utf8("\xc3"));              // truncated
  CHECK(!is_valid_utf8("\xe2\x82"));          // truncated
  CHECK(!is_valid_utf8("\xe2\x28\xa1"));      // bad continuation
  CHECK_THROWS_WITH_AS(check_utf8("ok \xff", "in.txt:3"), "in.txt:3: text is not valid UTF-8 (byte 3)", Error);
  CHECK_NOTHROW(check_utf8("ok", "x"));
}

TEST_CASE("parse_jsonl_line: objects only, errors name file and line") {
  auto j = parse_jsonl_line(R"({"text": "hello", "pair": "x", "n": 2})", "in.jsonl", 1);
  CHECK(j["text"] == "hello");
  CHECK(j["n"] == 2);
  CHECK_THROWS_WITH_AS(parse_jsonl_line("{\"text\": ", "in.jsonl", 7), doctest::Contains("in.jsonl:7: not valid JSON ("),
                       Error);
  CHECK_THROWS_WITH_AS(parse_jsonl_line("[1, 2]", "in.jsonl", 8), "in.jsonl:8: not a JSON object", Error);
  CHECK_THROWS_WITH_AS(parse_jsonl_line("\"s\"", "in.jsonl", 9), "in.jsonl:9: not a JSON object", Error);
  CHECK_THROWS_WITH_AS(parse_jsonl_line("{\"text\": \"\xc0\xaf\"}", "in.jsonl", 10),
                       doctest::Contains("in.jsonl:10: text is not valid UTF-8"), Error);
}

TEST_CASE("read_lines: CRLF, no final newline, empty lines kept, missing file") {
  TempDir d;
  write_file_atomic(d / "a.txt", "one\r\ntwo\n\nthree");
  CHECK(read_lines(d / "a.txt") == std::vector<std::string>{"one", "two", "", "three"});
  write_file_atomic(d / "b.txt", "x\n");
  CHECK(read_lines(d / "b.txt") == std::vector<std::string>{"x"});
  write_file_atomic(d / "c.txt", "");
  CHECK(read_lines(d / "c.txt").empty());
  CHECK_THROWS_WITH_AS(read_lines(d / "missing.txt"), doctest::Contains("missing.txt: cannot read"), Error);
  // The fixture cases are valid JSONL objects.
  auto lines = read_lines(std::string(QDQRT_FIXTURES) + "/tokenizer/cases.jsonl");
  REQUIRE(!lines.empty());
  for (size_t i = 0; i < lines.size(); ++i) CHECK(parse_jsonl_line(lines[i], "cases.jsonl", i + 1).is_object());
}
