// decode() expectations worked out by hand from transformers' rules:
// convert_tokens_to_string (" ".join, drop " ##", strip) then
// clean_up_tokenization (" ." -> "." ... " 're" -> "'re", in order).
#include <doctest/doctest.h>

#include "text/tokenizer.h"

using namespace qdq;

namespace {
const std::string kDir = std::string(QDQRT_FIXTURES) + "/tokenizer";
}

TEST_CASE("decode: special tokens kept or skipped") {
  auto tok = text::load_tokenizer(kDir, "bert");
  // hard/special_tokens_literal
  std::vector<int64_t> ids = {101, 1996, 103, 19204, 1998, 102, 1998, 101, 2021, 1031, 7308, 1033, 2003, 2896, 102};
  CHECK(tok->decode(ids, false) == "[CLS] the [MASK] token and [SEP] and [CLS] but [ mask ] is lower [SEP]");
  CHECK(tok->decode(ids, true) == "the token and and but [ mask ] is lower");
}

TEST_CASE("decode: word pieces are joined and contractions cleaned up") {
  auto tok = text::load_tokenizer(kDir, "bert");
  // hard/accents: cafe naive facade ang ##strom resume cooperate
  CHECK(tok->decode({101, 7668, 15743, 8508, 17076, 15687, 13746, 17654, 102}, true) ==
        "cafe naive facade angstrom resume cooperate");
  // hard/contractions: don ' t can ' t i ' m we ' ll they ' ve it ' s o ' neill
  CHECK(tok->decode({2123, 1005, 1056, 2064, 1005, 1056, 1045, 1005, 1049, 2057, 1005, 2222, 2027, 1005, 2310, 2009,
                     1005, 1055, 1051, 1005, 11511},
                    true) == "don't can't i'm we'll they've it's o'neill");
  // hard/repeated_punct: "! ! ! ? ? ? . . . , , , ; ; ;" -> the rules run one after the other
  CHECK(tok->decode({999, 999, 999, 1029, 1029, 1029, 1012, 1012, 1012, 1010, 1010, 1010, 1025, 1025, 1025}, true) ==
        "!!!???...,,, ; ; ;");
  CHECK(tok->decode({}, true).empty());
  CHECK(tok->decode({101, 102}, true).empty());
}

TEST_CASE("decode: unknown ids become the unk token, even when skipping special tokens") {
  auto tok = text::load_tokenizer(kDir, "bert");
  CHECK(tok->decode({7592, 999999, 2088}, false) == "hello [UNK] world");
  CHECK(tok->decode({7592, -5, 2088}, true) == "hello [UNK] world");
  CHECK(tok->decode({7592, 100, 2088}, true) == "hello world");  // [UNK] itself is special
}

TEST_CASE("decode: ProphetNet's [X_SEP] is not special") {
  auto tok = text::load_tokenizer(kDir, "prophetnet");
  // prophetnet/x_sep_literal
  std::vector<int64_t> ids = {2034, 6251, 1012, 1031, 1060, 1035, 19802, 1033, 2117, 2028, 1012, 102};
  CHECK(tok->decode(ids, false) == "first sentence. [ x _ sep ] second one. [SEP]");
  CHECK(tok->decode(ids, true) == "first sentence. [ x _ sep ] second one.");
  CHECK(tok->decode({2034, 2, 2117, 102}, true) == "first [X_SEP] second");
}
