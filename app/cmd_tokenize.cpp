// qdqrt tokenize: text in, Hugging Face token ids out (JSON Lines), with the
// model directory's own tokenizer (BertTokenizer or ProphetNetTokenizer).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/jsonl.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace qdq::app {
namespace {

struct TokenizeOptions {
  std::string model, kind, input = "-", output = "-", format = "jsonl", truncation;
  int64_t max_length = 0;
  bool no_special = false;
};

// One input line as (text, text_pair); Error "<file>:<line>: ...".
std::pair<std::string, std::optional<std::string>> parse_line(const std::string& line, const std::string& file,
                                                              size_t lineno, bool jsonl) {
  if (!jsonl) {
    if (!text::utf8_valid(line)) throw Error("{}:{}: text is not valid UTF-8", file, lineno);
    return {line, std::nullopt};
  }
  nlohmann::json j = parse_jsonl_line(line, file, lineno);
  auto it = j.find("text");
  check(it != j.end() && it->is_string(), "{}:{}: needs a \"text\" string", file, lineno);
  std::optional<std::string> pair;
  auto p = j.find("text_pair");
  if (p != j.end() && !p->is_null()) {
    check(p->is_string(), "{}:{}: \"text_pair\" must be a string", file, lineno);
    pair = p->get<std::string>();
  }
  return {it->get<std::string>(), pair};
}

int run_tokenize(const TokenizeOptions& o) {
  check(o.format == "jsonl" || o.format == "text", "--input-format: expected jsonl or text, got '{}'", o.format);
  auto tok = text::load_tokenizer(o.model, o.kind);
  text::EncodeOptions eo;
  eo.add_special_tokens = !o.no_special;
  if (o.max_length > 0) eo.max_length = o.max_length;
  if (!o.truncation.empty()) {
    eo.truncate = true;
    eo.truncation = o.truncation;
  }
  const bool from_stdin = o.input.empty() || o.input == "-";
  const std::string name = from_stdin ? "<stdin>" : o.input;
  std::vector<std::string> lines = read_lines(o.input);

  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (o.format == "jsonl" && lines[i].find_first_not_of(" \t\r") == std::string::npos) continue;
    auto [text, pair] = parse_line(lines[i], name, i + 1, o.format == "jsonl");
    text::Encoding e;
    try {
      e = tok->encode(text, pair, eo);
    } catch (const Error& err) {
      throw Error("{}:{}: {}", name, i + 1, err.what());
    }
    nlohmann::json r;
    r["tokens"] = e.tokens;
    r["input_ids"] = e.input_ids;
    if (tok->has_token_type_ids()) r["token_type_ids"] = e.token_type_ids;
    out += r.dump();
    out += '\n';
    ++n;
  }
  if (o.output.empty() || o.output == "-") {
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(o.output, out);
  }
  spdlog::info("{}: {} lines tokenized ({})", name, n, tok->kind());
  return 0;
}

const RegisterCommand reg{
    {"tokenize", "Tokenize text as Hugging Face's BertTokenizer / ProphetNetTokenizer do; JSON Lines of ids out", 5,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<TokenizeOptions>();
       sub.add_option("-m,--model", o->model, "Model directory (vocab.txt or prophetnet.tokenizer)")->required();
       sub.add_option("--tokenizer", o->kind, "Force the tokenizer: bert or prophetnet (default: from the files)")
           ->check(CLI::IsMember({"bert", "prophetnet"}));
       sub.add_option("-i,--input", o->input, "Input file; '-' or none: stdin");
       sub.add_option("--input-format", o->format,
                      "jsonl: one {\"text\": ..., \"text_pair\": ...} per line (default); text: one text per line")
           ->check(CLI::IsMember({"jsonl", "text"}));
       sub.add_option("-o,--output", o->output, "Output JSONL file (written atomically); '-' or none: stdout");
       sub.add_option("--max-length", o->max_length, "Truncate to this many tokens (special tokens included)")
           ->check(CLI::PositiveNumber);
       sub.add_option("--truncation", o->truncation, "longest_first (default with --max-length), only_first, "
                                                     "only_second or do_not_truncate")
           ->check(CLI::IsMember({"longest_first", "only_first", "only_second", "do_not_truncate"}));
       sub.add_flag("--no-special-tokens", o->no_special, "Do not add [CLS] / [SEP]");
       return std::function<int()>([o] { return run_tokenize(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
