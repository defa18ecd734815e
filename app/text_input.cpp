#include "text_input.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "io/jsonl.h"
#include "io/utf8.h"

namespace qdq::app {

void add_text_input_options(CLI::App& sub, TextInputOptions& o, const std::string& what) {
  sub.add_option("texts", o.texts, what);
  flag(sub, "--input", o.input);
  flag(sub, "--input-format", o.input_format);
}

void warn_empty_input(const std::string& name) { spdlog::warn("{}: no inputs; the output is empty", name); }

namespace {
bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

// A JSON object on one line, or nothing: what decides JSONL when no format is given.
bool looks_like_json_object(const std::string& line) {
  const size_t p = line.find_first_not_of(" \t\r");
  if (p == std::string::npos || line[p] != '{') return false;
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  return j.is_object();
}

TextItem item_from_line(const std::string& line, TextKind kind) {
  if (kind == TextKind::Choices) {  // context TAB choice TAB choice ...
    TextItem it;
    size_t start = 0;
    std::vector<std::string> parts;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      parts.push_back(line.substr(start, tab - start));
    parts.push_back(line.substr(start));
    it.text = parts.front();
    it.choices.assign(parts.begin() + 1, parts.end());
    return it;
  }
  auto tab = kind == TextKind::Single ? std::string::npos : line.find('\t');
  TextItem it;
  if (tab == std::string::npos) {
    it.text = line;
  } else {
    it.text = line.substr(0, tab);
    it.pair = line.substr(tab + 1);
  }
  return it;
}

// `file`, `lineno`: where the record is, for messages ("argument 2" and 0 for a positional one).
TextItem item_from_json(const std::string& line, const std::string& file, size_t lineno, TextKind kind) {
  nlohmann::json j = parse_jsonl_line(line, file, lineno);
  const std::string where = lineno ? fmt::format("{}:{}", file, lineno) : file;
  if (kind == TextKind::Choices) {
    check(j.contains("context") && j["context"].is_string(), "{}: needs a string \"context\"", where);
    check(j.contains("choices") && j["choices"].is_array(), "{}: needs a list of strings \"choices\"", where);
    TextItem it;
    it.text = j["context"].get<std::string>();
    for (const auto& c : j["choices"]) {
      check(c.is_string(), "{}: \"choices\" must hold strings", where);
      it.choices.push_back(c.get<std::string>());
    }
    if (j.contains("id")) it.id = j["id"];
    return it;
  }
  const bool qa = kind == TextKind::QuestionContext;
  const bool question = qa || (kind == TextKind::Pair && j.contains("question"));
  const char* a = question ? "question" : "text";
  const char* b = question ? "context" : "text_pair";
  check(j.contains(a) && j[a].is_string(), "{}: needs a string \"{}\"", where, a);
  TextItem it;
  it.text = j[a].get<std::string>();
  if (kind != TextKind::Single && j.contains(b) && !j[b].is_null()) {
    check(j[b].is_string(), "{}: \"{}\" must be a string", where, b);
    it.pair = j[b].get<std::string>();
  }
  check(!qa || it.pair, "{}: needs a string \"context\" (a question is answered from its context)", where);
  if (j.contains("target") && !j["target"].is_null()) {
    check(j["target"].is_string(), "{}: \"target\" must be a string", where);
    it.target = j["target"].get<std::string>();
  }
  if (j.contains("id")) it.id = j["id"];
  return it;
}

void check_item_utf8(const TextItem& it) {
  bool ok = is_valid_utf8(it.text) && (!it.pair || is_valid_utf8(*it.pair)) && (!it.target || is_valid_utf8(*it.target));
  for (const auto& c : it.choices) ok = ok && is_valid_utf8(c);
  check(ok, "{}: text is not valid UTF-8", it.where);
}
}  // namespace

std::string input_name(const TextInputOptions& o) {
  if (!o.texts.empty()) return "arguments";
  return o.input.empty() || o.input == "-" ? "<stdin>" : o.input;
}

namespace {
// Lines as getline sees them: a final line without its newline counts, no empty line is invented.
int64_t count_lines(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return -1;
  std::vector<char> buf(1 << 20);
  int64_t n = 0;
  char last = '\n';
  while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
    const auto got = f.gcount();
    n += std::count(buf.data(), buf.data() + got, '\n');
    last = buf[got - 1];
  }
  return n + (last != '\n' ? 1 : 0);
}
}  // namespace

TextReader::TextReader(const TextInputOptions& o, TextKind kind) : o_(o), kind_(kind), name_(input_name(o)) {
  if (!o_.texts.empty()) {
    if (!o_.input.empty()) throw UsageError("give texts as arguments or with --input, not both");
    // Arguments are texts (a tab separates a pair), or records: with --input-format jsonl, or when
    // every one of them is a JSON object.
    format_ = o_.input_format;
    if (format_.empty()) {
      format_ = std::all_of(o_.texts.begin(), o_.texts.end(), looks_like_json_object) ? "jsonl" : "text";
      if (format_ == "jsonl")
        spdlog::info("reading the arguments as JSON records (every one is a JSON object; --input-format text "
                     "reads them as texts)");
    }
    total_ = static_cast<int64_t>(o_.texts.size());
    return;
  }
  if (o_.input.empty() || o_.input == "-") {
    in_ = &std::cin;
    if (::isatty(STDIN_FILENO)) spdlog::info("reading texts from stdin (Ctrl-D to end)");
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(o_.input, ec))
      throw Error("{}: is a directory; -i takes a file of texts or JSON Lines", o_.input);
    file_ = std::make_unique<std::ifstream>(o_.input, std::ios::binary);
    if (!*file_) throw Error("{}: cannot read ({})", o_.input, std::strerror(errno));
    in_ = file_.get();
    if (std::filesystem::is_regular_file(o_.input, ec)) total_ = count_lines(o_.input);
  }
  format_ = o_.input_format;
  if (format_.empty()) {
    // Sniff: hold the lines up to the first non-blank one, which decides.
    std::string l;
    while (std::getline(*in_, l)) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      pending_.push_back(l);
      if (!is_blank(l)) break;
    }
    format_ = !pending_.empty() && looks_like_json_object(pending_.back()) ? "jsonl" : "text";
  }
}

bool TextReader::next_line(std::string& line) {
  if (pending_pos_ < pending_.size()) {
    line = std::move(pending_[pending_pos_++]);
    return true;
  }
  if (!std::getline(*in_, line)) {
    if (in_->bad()) throw Error("{}: cannot read (I/O error)", name_);
    return false;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool TextReader::next(TextItem& item) {
  if (!o_.texts.empty()) {
    if (count_ >= o_.texts.size()) return false;
    const std::string where = fmt::format("argument {}", count_ + 1);
    item = format_ == "jsonl" ? item_from_json(o_.texts[count_], where, 0, kind_) : item_from_line(o_.texts[count_], kind_);
    item.where = where;
  } else {
    std::string line;
    if (!next_line(line)) return false;
    ++lineno_;
    const std::string where = fmt::format("{}:{}", name_, lineno_);
    // A blank line is an empty text in either format: the input keeps its line numbering.
    item = format_ == "jsonl" && !is_blank(line) ? item_from_json(line, name_, lineno_, kind_) : item_from_line(line, kind_);
    if (format_ == "jsonl" && is_blank(line)) item = TextItem{};
    item.where = where;
  }
  item.index = count_++;
  check(kind_ != TextKind::QuestionContext || item.pair,
        "{}: question answering needs a context (a tab between question and context, or JSONL "
        "{{\"question\", \"context\"}})", item.where);
  check(kind_ != TextKind::Choices || !item.choices.empty(), "{}: needs at least one choice{}", item.where,
        format_ == "jsonl" ? "" : " (a tab separates the context and each choice)");
  check_item_utf8(item);
  return true;
}

std::vector<TextItem> read_text_items(const TextInputOptions& o, TextKind kind) {
  TextReader r(o, kind);
  std::vector<TextItem> items;
  TextItem it;
  while (r.next(it)) items.push_back(std::move(it));
  return items;
}

}  // namespace qdq::app
