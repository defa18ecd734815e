// qdqrt tokenize: text in, Hugging Face token ids out (JSON Lines), with the
// model directory's own tokenizer (BertTokenizer or ProphetNetTokenizer).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "text/tokenizer.h"
#include "output.h"
#include "progress.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct TokenizeOptions {
  TextInputOptions in;
  OutputOptions out;
  std::string model, kind, truncation;
  int64_t max_length = 0;
  bool no_special = false;
};

const std::vector<std::string> kFormats = {"jsonl", "text"};

// jsonl: {"id"?, "tokens", "input_ids", "token_type_ids"?}; text: the tokens, space-separated.
std::string render(const text::Encoding& e, const TextItem& item, bool with_types, const std::string& format) {
  if (format == "text") {
    std::string line;
    for (auto& t : e.tokens) line += (line.empty() ? "" : " ") + t;
    return line + "\n";
  }
  nlohmann::ordered_json r;
  if (!item.id.is_null()) r["id"] = item.id;
  r["tokens"] = e.tokens;
  r["input_ids"] = e.input_ids;
  if (with_types) r["token_type_ids"] = e.token_type_ids;
  return r.dump() + "\n";
}

int run_tokenize(TokenizeOptions& o) {
  prepare_output(o.out, kFormats);
  auto tok = text::load_tokenizer(o.model, o.kind);
  text::EncodeOptions eo;
  eo.add_special_tokens = !o.no_special;
  if (o.max_length > 0) eo.max_length = o.max_length;
  if (!o.truncation.empty()) {
    eo.truncate = true;
    eo.truncation = o.truncation;
  }
  TextReader reader(o.in, TextKind::Pair);
  LineWriter writer(o.out);
  Progress progress("tokenize", -1);
  std::string chunk;
  size_t n = 0;
  TextItem item;
  while (reader.next(item)) {
    text::Encoding e;
    try {
      e = tok->encode(item.text, item.pair, eo);
    } catch (const Error& err) {
      throw Error("{}: {}", item.where, err.what());
    }
    chunk += render(e, item, tok->has_token_type_ids(), o.out.format);
    ++n;
    if (n % 64 == 0) {  // a "batch": written (and flushed to a pipe) at once
      writer.write(chunk);
      chunk.clear();
      progress.advance(64);
    }
  }
  check(n > 0, "{}: no input texts", reader.name());
  writer.write(chunk);
  writer.commit();
  progress.finish();
  spdlog::info("{}: {} inputs tokenized ({})", reader.name(), n, tok->kind());
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
                              "Texts to tokenize (JSONL records: {\"text\", \"text_pair\", \"id\"})");
       add_output_options(sub, o->out, kFormats, "Output file (written atomically)");
       sub.add_option("--max-length", o->max_length, "Truncate to this many tokens (special tokens included; 0: no limit)")
           ->check(CLI::NonNegativeNumber);
       sub.add_option("--truncation", o->truncation, "longest_first (default with --max-length), only_first, "
                                                     "only_second or do_not_truncate")
           ->check(CLI::IsMember({"longest_first", "only_first", "only_second", "do_not_truncate"}));
       sub.add_flag("--no-special-tokens", o->no_special, "Do not add [CLS] / [SEP]");
       return std::function<int()>([o] { return run_tokenize(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
