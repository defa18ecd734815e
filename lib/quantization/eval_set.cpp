#include "quantization/eval_set.h"

#include "core/error.h"
#include "io/jsonl.h"
#include "io/utf8.h"

namespace qdq::quantization {

namespace {

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  check(j[key].is_string(), "{}: \"{}\" must be a string", where, key);
  return j[key].get<std::string>();
}

}  // namespace

EvalRecord eval_record_from_json(const nlohmann::json& j, const std::string& where) {
  EvalRecord r;
  r.where = where;
  if (j.contains("choices") && !j.contains("text") && !j.contains("question")) {  // multiple choice
    check(j.contains("context") && j["context"].is_string(), "{}: needs a string \"context\"", where);
    check(j["choices"].is_array() && !j["choices"].empty(), "{}: needs a list of strings \"choices\"", where);
    r.text = j["context"].get<std::string>();
    for (const auto& c : j["choices"]) {
      check(c.is_string(), "{}: \"choices\" must hold strings", where);
      r.choices.push_back(c.get<std::string>());
    }
    if (j.contains("id")) r.id = j["id"];
    return r;
  }
  const bool question = j.contains("question");
  const char* a = question ? "question" : "text";
  const char* b = question ? "context" : "text_pair";
  check(j.contains(a), "{}: needs a string \"{}\"", where, a);
  r.text = string_field(j, a, where);
  if (j.contains(b) && !j[b].is_null()) r.pair = string_field(j, b, where);
  if (j.contains("id")) r.id = j["id"];
  if (j.contains("label") && !j["label"].is_null()) {
    check(j["label"].is_string() || j["label"].is_number_integer(), "{}: \"label\" must be a string or an integer",
          where);
    r.label = j["label"];
  }
  if (j.contains("target") && !j["target"].is_null()) r.target = string_field(j, "target", where);
  if (j.contains("answers") && !j["answers"].is_null()) {
    const auto& a_j = j["answers"].is_object() && j["answers"].contains("text") ? j["answers"]["text"] : j["answers"];
    check(a_j.is_array(), "{}: \"answers\" must be a list of strings or {{\"text\": [...]}}", where);
    std::vector<std::string> answers;
    for (auto& x : a_j) {
      check(x.is_string(), "{}: \"answers\" must hold strings", where);
      answers.push_back(x.get<std::string>());
    }
    r.answers = std::move(answers);
  }
  return r;
}

std::vector<EvalRecord> read_eval_records(const std::string& path) {
  const auto lines = read_lines(path);
  const std::string name = path.empty() || path == "-" ? "<stdin>" : path;
  bool jsonl = false;
  for (auto& l : lines) {
    const auto p = l.find_first_not_of(" \t\r");
    if (p == std::string::npos) continue;
    jsonl = l[p] == '{';
    break;
  }
  std::vector<EvalRecord> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string where = name + ":" + std::to_string(i + 1);
    if (jsonl) {
      check(lines[i].find_first_not_of(" \t\r") != std::string::npos, "{}: blank line in JSONL", where);
      out.push_back(eval_record_from_json(parse_jsonl_line(lines[i], name, i + 1), where));
    } else {
      check_utf8(lines[i], where);
      EvalRecord r;
      r.text = lines[i];
      r.where = where;
      out.push_back(std::move(r));
    }
  }
  check(!out.empty(), "{}: no input texts", name);
  return out;
}

std::string reference_kind(const std::vector<EvalRecord>& recs) {
  std::string kind;
  for (const char* k : {"label", "target", "answers"}) {
    size_t n = 0;
    for (auto& r : recs)
      n += k == std::string("label") ? r.label.has_value() : k == std::string("target") ? r.target.has_value()
                                                                                    : r.answers.has_value();
    if (n == 0) continue;
    for (auto& r : recs) {
      const bool has = k == std::string("label") ? r.label.has_value()
                       : k == std::string("target") ? r.target.has_value()
                                                    : r.answers.has_value();
      check(has, "{}: no \"{}\" while {} other records have one (give it in every record or in none)", r.where, k,
            n);
    }
    check(kind.empty(), "the records carry both \"{}\" and \"{}\": one kind of reference per file", kind, k);
    kind = k;
  }
  return kind;
}

}  // namespace qdq::quantization
