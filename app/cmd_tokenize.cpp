// qdqrt tokenize: text in, Hugging Face token ids out (JSON Lines), with the
// model directory's own tokenizer (BertTokenizer or ProphetNetTokenizer).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "text/tokenizer.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct TokenizeOptions {
  TextInputOptions in;
  std::string model, kind, output = "-", truncation;
  int64_t max_length = 0;
  bool no_special = false;
};

int run_tokenize(const TokenizeOptions& o) {
  auto tok = text::load_tokenizer(o.model, o.kind);
  text::EncodeOptions eo;
  eo.add_special_tokens = !o.no_special;
  if (o.max_length > 0) eo.max_length = o.max_length;
  if (!o.truncation.empty()) {
    eo.truncate = true;
    eo.truncation = o.truncation;
  }
  const std::string name = input_name(o.in);
  std::string out;
  size_t n = 0;
  for (const TextItem& item : read_text_items(o.in, TextKind::Pair, "jsonl")) {
    text::Encoding e;
    try {
      e = tok->encode(item.text, item.pair, eo);
    } catch (const Error& err) {
      throw Error("{}: input {}: {}", name, n + 1, err.what());
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
  spdlog::info("{}: {} inputs tokenized ({})", name, n, tok->kind());
  return 0;
}

const RegisterCommand reg{
    {"tokenize", "Tokenize text as Hugging Face's BertTokenizer / ProphetNetTokenizer do; JSON Lines of ids out", 5,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<TokenizeOptions>();
       sub.add_option("-m,--model", o->model, "Model directory (vocab.txt or prophetnet.tokenizer)")->required();
       sub.add_option("--tokenizer", o->kind, "Force the tokenizer: bert or prophetnet (default: from the files)")
           ->check(CLI::IsMember({"bert", "prophetnet"}));
       add_text_input_options(sub, o->in,
                              "Texts to tokenize (else -i FILE or stdin: JSON Lines {\"text\", \"text_pair\"} "
                              "by default, --input-format text for plain lines)");
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
