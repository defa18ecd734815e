#include "text_input.h"

#include "core/error.h"
#include "core/strings.h"
#include "io/jsonl.h"
#include "io/utf8.h"

namespace qdq::app {

void add_text_input_options(CLI::App& sub, TextInputOptions& o, const std::string& what) {
  sub.add_option("texts", o.texts, what);
  sub.add_option("-i,--input", o.input,
                 "Input file: one text per line (a tab separates a pair), or JSON Lines; '-' or none: stdin");
  sub.add_option("--input-format", o.input_format, "jsonl or text (default: jsonl for *.jsonl files, else text)")
      ->check(CLI::IsMember({"jsonl", "text"}));
}

namespace {
// A multiple-choice record: a context and at least one choice, all strings.
TextItem choices_item(std::string context, std::vector<std::string> choices, const std::string& where) {
  check(!choices.empty(), "{}: needs at least one choice", where);
  TextItem it{std::move(context), std::nullopt, std::nullopt, {}};
  it.choices = std::move(choices);
  return it;
}

TextItem item_from_line(const std::string& line, TextKind kind, const std::string& where) {
  if (kind == TextKind::Choices) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      parts.push_back(line.substr(start, tab - start));
    parts.push_back(line.substr(start));
    std::string context = parts.front();
    parts.erase(parts.begin());
    return choices_item(std::move(context), std::move(parts), where + " (a tab separates the context and each choice)");
  }
  auto tab = kind == TextKind::Single ? std::string::npos : line.find('\t');
  if (tab == std::string::npos) return {line, std::nullopt, std::nullopt, {}};
  return {line.substr(0, tab), line.substr(tab + 1), std::nullopt, {}};
}

TextItem item_from_json(const std::string& line, const std::string& file, size_t lineno, TextKind kind) {
  nlohmann::json j = parse_jsonl_line(line, file, lineno);
  if (kind == TextKind::Choices) {
    const std::string where = fmt::format("{}:{}", file, lineno);
    check(j.contains("context") && j["context"].is_string(), "{}: needs a string \"context\"", where);
    check(j.contains("choices") && j["choices"].is_array(), "{}: needs a list of strings \"choices\"", where);
    std::vector<std::string> choices;
    for (const auto& c : j["choices"]) {
      check(c.is_string(), "{}: \"choices\" must hold strings", where);
      choices.push_back(c.get<std::string>());
    }
    return choices_item(j["context"].get<std::string>(), std::move(choices), where);
  }
  const bool qa = kind == TextKind::QuestionContext;
  const bool question = qa || (kind == TextKind::Pair && j.contains("question"));
  const char* a = question ? "question" : "text";
  const char* b = question ? "context" : "text_pair";
  check(j.contains(a) && j[a].is_string(), "{}:{}: needs a string \"{}\"", file, lineno, a);
  TextItem it{j[a].get<std::string>(), std::nullopt, std::nullopt, {}};
  if (kind != TextKind::Single && j.contains(b) && !j[b].is_null()) {
    check(j[b].is_string(), "{}:{}: \"{}\" must be a string", file, lineno, b);
    it.pair = j[b].get<std::string>();
  }
  check(!qa || it.pair, "{}:{}: needs a string \"context\"", file, lineno);
  if (j.contains("target") && !j["target"].is_null()) {
    check(j["target"].is_string(), "{}:{}: \"target\" must be a string", file, lineno);
    it.target = j["target"].get<std::string>();
  }
  return it;
}

void check_item_utf8(const TextItem& it, const std::string& where) {
  bool ok = is_valid_utf8(it.text) && (!it.pair || is_valid_utf8(*it.pair)) && (!it.target || is_valid_utf8(*it.target));
  for (const auto& c : it.choices) ok = ok && is_valid_utf8(c);
  check(ok, "{}: text is not valid UTF-8", where);
}
}  // namespace

std::string input_name(const TextInputOptions& o) {
  if (!o.texts.empty()) return "arguments";
  return o.input.empty() || o.input == "-" ? "<stdin>" : o.input;
}

std::vector<TextItem> read_text_items(const TextInputOptions& o, TextKind kind, const std::string& default_format) {
  std::vector<TextItem> items;
  if (!o.texts.empty()) {
    check(o.input.empty(), "give texts as arguments or with --input, not both");
    for (size_t i = 0; i < o.texts.size(); ++i) {
      items.push_back(item_from_line(o.texts[i], kind, fmt::format("argument {}", i + 1)));
      check_item_utf8(items.back(), fmt::format("argument {}", i + 1));
    }
    return items;
  }
  const std::string name = input_name(o);
  const std::string format = !o.input_format.empty()     ? o.input_format
                             : ends_with(o.input, ".jsonl") ? "jsonl"
                             : !default_format.empty()      ? default_format
                                                            : "text";
  std::vector<std::string> lines = read_lines(o.input);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find_first_not_of(" \t\r") == std::string::npos) continue;
    if (format == "jsonl") {
      items.push_back(item_from_json(lines[i], name, i + 1, kind));
    } else {
      items.push_back(item_from_line(lines[i], kind, fmt::format("{}:{}", name, i + 1)));
    }
    check_item_utf8(items.back(), fmt::format("{}:{}", name, i + 1));
  }
  check(!items.empty(), "{}: no input texts", name);
  return items;
}

}  // namespace qdq::app
