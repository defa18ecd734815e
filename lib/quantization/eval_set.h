#pragma once
// The records a task metric is measured on: the inputs as every command reads
// them (JSONL "text" + "text_pair", "question" + "context", or "context" + "choices"; a plain-text
// line is one text) and, when the record carries them, its references:
//   "label"   a classifier's label: the id2label name, or an integer label id
//   "target"  a generator's reference text, or a causal LM's continuation of the prompt "text"
//   "answers" QA: a list of answer strings, or SQuAD's {"text": [...], "answer_start": [...]}
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace qdq::quantization {

struct EvalRecord {
  std::string text;
  std::optional<std::string> pair;    // text_pair, or the context of a question
  std::optional<nlohmann::json> label;  // a string or an integer
  std::optional<std::string> target;
  std::optional<std::vector<std::string>> answers;
  std::vector<std::string> choices;  // multiple choice: {"context" (in text), "choices"}, as encode reads it
  nlohmann::json id;   // null when the record has none
  std::string where;   // "<file>:<line>"
};

// One record from a parsed JSONL object. Error "<where>: ..." for a field of the wrong type.
EvalRecord eval_record_from_json(const nlohmann::json& j, const std::string& where);

// Every line of a file ("-": stdin): JSONL when the first non-blank line is an object, else one
// text per line. Errors name the file and line.
std::vector<EvalRecord> read_eval_records(const std::string& path);

// Which references the records carry, all or none: "label", "target", "answers", or "" for none.
// Error when only some records carry one, or records carry two kinds.
std::string reference_kind(const std::vector<EvalRecord>& recs);

}  // namespace qdq::quantization
