#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "core/error.h"
#include "text/tokenizer.h"
#include "text/vocab.h"

using namespace qdq;
namespace fs = std::filesystem;

namespace {
const std::string kFix = QDQRT_FIXTURES;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

fs::path temp_dir(const char* name) {
  fs::path d = fs::temp_directory_path() / (std::string("qdqrt_text_") + name + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST_CASE("load_tokenizer picks the vocabulary from the files and config.json") {
  auto b = text::load_tokenizer(kFix + "/qdqbert-seqcls");
  CHECK(b->kind() == "bert");
  CHECK(b->has_token_type_ids());
  CHECK(b->cls_id() == 101);
  CHECK(b->sep_id() == 102);
  CHECK(b->pad_id() == 0);
  CHECK(b->mask_id() == 103);
  CHECK(b->unk_id() == 100);
  CHECK(b->vocab_size() == 30522);
  CHECK(b->model_max_length() == -1);  // 1e30 in tokenizer_config.json: no limit
  CHECK(b->encode("hello world").input_ids == std::vector<int64_t>{101, 7592, 2088, 102});

  auto p = text::load_tokenizer(kFix + "/prophetnet");
  CHECK(p->kind() == "prophetnet");
  CHECK_FALSE(p->has_token_type_ids());
  CHECK(p->cls_id() == -1);
  CHECK(p->id_to_token(2) == "[X_SEP]");
  CHECK(p->encode("hello world").input_ids == std::vector<int64_t>{7592, 2088, 102});

  // Both files: the encoder (BERT) by default, the decoder side on request.
  auto ed = text::load_tokenizer(kFix + "/encoder-decoder");
  CHECK(ed->kind() == "bert");
  auto edp = text::load_tokenizer(kFix + "/encoder-decoder", "prophetnet");
  CHECK(edp->kind() == "prophetnet");
  CHECK(edp->cls_id() == -1);  // the BertTokenizer config is not applied to it
  CHECK(edp->tokenize("[CLS]") == std::vector<std::string>{"[", "cl", "##s", "]"});
}

TEST_CASE("load_tokenizer errors name the directory or file") {
  fs::path d = temp_dir("empty");
  CHECK(error_of([&] { text::load_tokenizer(d.string()); }) == d.string() + ": no vocab.txt or prophetnet.tokenizer");
  CHECK(error_of([&] { text::load_tokenizer(d.string(), "bert"); }).find("no vocab.txt") != std::string::npos);
  { std::ofstream(d / "vocab.txt"); }
  CHECK(error_of([&] { text::load_tokenizer(d.string()); }) == (d / "vocab.txt").string() + ": empty vocabulary");
  { std::ofstream(d / "vocab.txt") << "[PAD]\n\xff\xfe\n"; }
  CHECK(error_of([&] { text::load_tokenizer(d.string()); }) ==
        (d / "vocab.txt").string() + ": line 2 is not valid UTF-8");
  { std::ofstream(d / "vocab.txt") << "[PAD]\nhello\n"; }
  CHECK(error_of([&] { text::load_tokenizer(d.string()); }).find("no unknown token '[UNK]'") != std::string::npos);
  { std::ofstream(d / "vocab.txt") << "[UNK]\n[SEP]\n[CLS]\n"; }
  { std::ofstream(d / "tokenizer_config.json") << "{\"do_lower_case\": "; }
  CHECK(error_of([&] { text::load_tokenizer(d.string()); }).find("tokenizer_config.json: invalid JSON") !=
        std::string::npos);
  { std::ofstream(d / "tokenizer_config.json") << "{\"do_lower_case\": 3}"; }
  CHECK(error_of([&] { text::load_tokenizer(d.string()); }).find("'do_lower_case' must be true or false") !=
        std::string::npos);
  fs::remove_all(d);
}

TEST_CASE("tokenizer_config.json: do_lower_case false keeps case and accents") {
  fs::path d = temp_dir("cased");
  { std::ofstream(d / "vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nHello\n##é\nhello\nCaf\n"; }
  { std::ofstream(d / "tokenizer_config.json") << R"({"do_lower_case": false, "model_max_length": 512})"; }
  auto t = text::load_tokenizer(d.string());
  CHECK(t->model_max_length() == 512);
  CHECK(t->tokenize("Hello Café hello") == std::vector<std::string>{"Hello", "Caf", "##é", "hello"});
  // NFC composes e + U+0301 before the vocabulary lookup.
  CHECK(t->tokenize("Cafe\xcc\x81") == std::vector<std::string>{"Caf", "##é"});
  fs::remove_all(d);
}

TEST_CASE("vocabulary parsing follows Python's readlines") {
  auto v = text::load_vocab_from_string("a\r\nb\rc\n\nd", "v");
  CHECK(v.by_id == std::vector<std::string>{"a", "b", "c", "", "d"});
  CHECK(v.find("d") == 4);
  auto dup = text::load_vocab_from_string("x\ny\nx\n", "v");
  CHECK(dup.size() == 2);
  CHECK(dup.find("x") == 2);
  CHECK(dup.token(0) == nullptr);
}

TEST_CASE("text that is not UTF-8 is an Error") {
  auto t = text::load_tokenizer(kFix + "/tokenizer", "bert");
  CHECK(error_of([&] { t->tokenize("ok \xc3\x28"); }).find("text is not valid UTF-8") == 0);
  CHECK(error_of([&] { t->encode("fine", std::string("\xed\xa0\x80"), {}); }).find("text is not valid UTF-8") == 0);
  CHECK(error_of([&] { t->tokenize("\xc0\xaf"); }).find("text is not valid UTF-8") == 0);  // overlong '/'
}

TEST_CASE("encode options: padding, truncation default, stride") {
  auto t = text::load_tokenizer(kFix + "/tokenizer", "bert");
  text::EncodeOptions o;
  o.max_length = 6;
  o.padding = "max_length";
  auto e = t->encode("hello world", std::nullopt, o);
  CHECK(e.input_ids == std::vector<int64_t>{101, 7592, 2088, 102, 0, 0});
  CHECK(e.attention_mask == std::vector<int64_t>{1, 1, 1, 1, 0, 0});
  CHECK(e.token_type_ids == std::vector<int64_t>{0, 0, 0, 0, 0, 0});
  CHECK(e.tokens.back() == "[PAD]");
  // max_length alone truncates longest_first, as HF does with truncation=None.
  text::EncodeOptions m;
  m.max_length = 3;
  CHECK(t->encode("hello world", std::nullopt, m).input_ids == std::vector<int64_t>{101, 7592, 102});
}

TEST_CASE("pad_batch right-pads into I64 tensors") {
  auto t = text::load_tokenizer(kFix + "/tokenizer", "bert");
  std::vector<text::Encoding> b = {t->encode("hello"), t->encode("hello world", std::string("hello"), {})};
  TensorMap m = text::pad_batch(b, t->pad_id(), true);
  CHECK(m.at("input_ids").shape() == Shape{2, 6});
  CHECK(m.at("input_ids").to_i64_vector() ==
        std::vector<int64_t>{101, 7592, 102, 0, 0, 0, 101, 7592, 2088, 102, 7592, 102});
  CHECK(m.at("attention_mask").to_i64_vector() == std::vector<int64_t>{1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1});
  CHECK(m.at("token_type_ids").to_i64_vector() == std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
  CHECK_FALSE(text::pad_batch(b, 0, false).has("token_type_ids"));
}
