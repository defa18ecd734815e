#pragma once
// Line-oriented input for the CLI: text lines or JSON Lines, from a file or stdin.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/utf8.h"

namespace qdq {

// All lines of a file ("-" or "" = stdin), without their "\n" / "\r\n"; a
// missing final newline is fine, no empty line is invented at the end.
// Error "<path>: cannot read (...)".
std::vector<std::string> read_lines(const std::string& path_or_dash);

// One JSONL record: Error "<file>:<lineno>: not valid JSON (...)" or
// "<file>:<lineno>: not a JSON object" (also for text that is not UTF-8). lineno 0: `file` alone
// names the record (a positional argument).
nlohmann::json parse_jsonl_line(const std::string& line, const std::string& file, size_t lineno);

}  // namespace qdq
