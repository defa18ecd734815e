#pragma once
// The one input rule every text-reading subcommand follows (tokenize, encode,
// generate, calibrate, forward, ...):
//   * inputs are the positional texts, else -i FILE, else stdin ("-" = stdin);
//   * a file / stdin is JSON Lines when its first non-blank line is a JSON
//     object, else one text per line; --input-format jsonl|text overrides;
//   * every line is one input, in order: a blank line is an empty text, never
//     dropped, so output line N always belongs to input line N;
//   * a JSONL record may carry "id" (any JSON value), which the output echoes.
// Bad lines are reported as "<file>:<line>: ...".
#include <CLI/CLI.hpp>
#include <fstream>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/input_info.h"

namespace qdq::app {

struct TextItem {
  std::string text;
  std::optional<std::string> pair;  // text_pair, or the context of a question
  std::optional<std::string> target;  // JSONL "target": an encoder-decoder's decoder text (calibrate)
  std::vector<std::string> choices;   // TextKind::Choices: the candidate continuations of `text` (the context)
  nlohmann::json id;                // the record's "id"; null when it has none
  size_t index = 0;                 // 0-based position in the input
  std::string where;                // "<file>:<line>" or "argument <n>", for messages
};

struct TextInputOptions {
  std::vector<std::string> texts;  // positional
  std::string input;               // -i FILE; "" or "-" = stdin
  std::string input_format;        // jsonl | text; "" = sniff the first non-blank line
};

// Adds the positional texts, -i/--input and --input-format.
void add_text_input_options(CLI::App& sub, TextInputOptions& o, const std::string& what);

// How messages name the input: "arguments", "<stdin>" or the file.
std::string input_name(const TextInputOptions& o);

// What one input is (models/input_info.h says which a model class takes): a
// text (a tab is just a character), a text with an optional text_pair (a tab
// separates the two in plain text), a question with its context (JSONL
// {"question", "context"}), or a context with the choices of a
// multiple-choice question (JSONL {"context", "choices": [...]}; in plain
// text, tabs separate the context and the choices).
using models::TextKind;

// Reads inputs one at a time, so a long stdin streams (a batch can be
// processed and written before the rest of the input has arrived).
class TextReader {
 public:
  TextReader(const TextInputOptions& o, TextKind kind);
  // Next input; false at the end. Errors name the file and line.
  bool next(TextItem& item);
  const std::string& format() const { return format_; }  // "jsonl" or "text" once known
  const std::string& name() const { return name_; }
  // How many inputs there are when that is known before reading them (arguments, a regular
  // file: its lines), else -1 (a pipe); for progress.
  int64_t total() const { return total_; }

 private:
  bool next_line(std::string& line);
  TextInputOptions o_;
  TextKind kind_;
  std::string name_, format_;
  std::unique_ptr<std::ifstream> file_;
  std::istream* in_ = nullptr;
  std::vector<std::string> pending_;  // lines read while sniffing the format
  size_t pending_pos_ = 0, lineno_ = 0, count_ = 0;
  int64_t total_ = -1;
};

// Every input at once.
std::vector<TextItem> read_text_items(const TextInputOptions& o, TextKind kind = TextKind::Pair);

// A filter over shards gets an empty shard now and then: an empty input gives an empty output,
// exit 0, with this warning ("<input>: no inputs; the output is empty").
void warn_empty_input(const std::string& name);

}  // namespace qdq::app
