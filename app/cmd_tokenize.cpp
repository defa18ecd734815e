// qdqrt tokenize: text in, Hugging Face token ids out (JSON Lines), with the
// model directory's own tokenizer (BertTokenizer or ProphetNetTokenizer).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "io/checkpoint.h"
#include "io/path_guard.h"
#include "models/input_info.h"
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
  refuse_overwriting_inputs({o.model, o.in.input}, {o.out.path});
  auto tok = text::load_tokenizer(o.model, o.kind);
  text::EncodeOptions eo;
  eo.add_special_tokens = !o.no_special;
  // As Hugging Face's tokenizer(): no truncation unless asked for; asked for without a length, the
  // length the model holds.
  if (o.max_length > 0 || !o.truncation.empty()) {
    eo.truncate = o.truncation != "do_not_truncate";
    if (!o.truncation.empty()) eo.truncation = o.truncation;
    // A tokenizer-only directory has no config.json: BERT's rule then (min(512, model_max_length)).
    const bool has_config = std::filesystem::exists(std::filesystem::path(o.model) / "config.json");
    eo.max_length = o.max_length > 0 ? o.max_length
                                     : models::max_input_tokens(has_config ? load_config(o.model) : nlohmann::json{},
                                                                tok->model_max_length());
  }
  TextReader reader(o.in, TextKind::Pair);
  LineWriter writer(o.out);
  Progress progress("tokenize", reader.total());
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
  if (n == 0) warn_empty_input(reader.name());
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
       flag(sub, "--model", o->model, "only its tokenizer files are read (vocab.txt or prophetnet.tokenizer)");
       flag(sub, "--tokenizer", o->kind);
       add_text_input_options(sub, o->in,
                              "Texts to tokenize (a tab separates a text pair; JSONL records: {\"text\", "
                              "\"text_pair\", \"id\"})");
       add_output_options(sub, o->out, kFormats, "jsonl (ids) or text (the tokens, space-separated)");
       flag(sub, "--max-length", o->max_length, "tokenize truncates only with --max-length or --truncation");
       flag(sub, "--truncation", o->truncation);
       switch_flag(sub, "--no-special-tokens", o->no_special);
       return std::function<int()>([o] { return run_tokenize(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
