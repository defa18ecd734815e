#pragma once
// Text input shared by every text-reading subcommand (tokenize, encode,
// calibrate, generate): positional texts, or -i FILE / stdin with one text per
// line or JSON Lines. One reader, so every command accepts the same inputs and
// reports bad lines the same way ("<file>:<line>: ...").
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qdq::app {

struct TextItem {
  std::string text;
  std::optional<std::string> pair;  // text_pair, or the context of a question
  std::optional<std::string> target;  // JSONL "target": an encoder-decoder's decoder text (calibrate)
  std::vector<std::string> choices;  // TextKind::Choices: the candidate continuations of `text` (the context)
};

struct TextInputOptions {
  std::vector<std::string> texts;  // positional
  std::string input;               // -i FILE; "" or "-" = stdin
  std::string input_format;        // jsonl | text; "" = jsonl for *.jsonl, else text
};

// Adds the positional texts, -i/--input and --input-format.
void add_text_input_options(CLI::App& sub, TextInputOptions& o, const std::string& what);

// How messages name the input: "arguments", "<stdin>" or the file.
std::string input_name(const TextInputOptions& o);

// What one input is: a text (a tab is just a character), a text with an
// optional text_pair (a tab separates the two in plain text), or a question
// with its context (JSONL {"question", "context"}), or a context with the
// choices of a multiple-choice question (JSONL {"context", "choices": [...]};
// in plain text, tabs separate the context and the choices).
enum class TextKind { Single, Pair, QuestionContext, Choices };

// JSONL records hold {"text", "text_pair"} (or {"question", "context"}).
// Blank lines are skipped. Every text must be valid UTF-8. Error
// "<file>: no input texts" when nothing is left.
std::vector<TextItem> read_text_items(const TextInputOptions& o, TextKind kind = TextKind::Pair,
                                      const std::string& default_format = "");

}  // namespace qdq::app
