#include "io/jsonl.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/error.h"

namespace qdq {

namespace {
std::vector<std::string> split_lines(std::istream& in) {
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(std::move(l));
  }
  return lines;
}
}  // namespace

std::vector<std::string> read_lines(const std::string& path) {
  if (path.empty() || path == "-") {
    auto lines = split_lines(std::cin);
    if (std::cin.bad()) throw Error("<stdin>: cannot read");
    return lines;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("{}: cannot read ({})", path, std::strerror(errno));
  auto lines = split_lines(in);
  if (in.bad()) throw Error("{}: cannot read (I/O error)", path);
  return lines;
}

nlohmann::json parse_jsonl_line(const std::string& line, const std::string& file, size_t lineno) {
  const std::string where = lineno ? fmt::format("{}:{}", file, lineno) : file;  // 0: not a line ("argument 2")
  // nlohmann accepts some invalid UTF-8 inside strings only on dump; say so up front.
  check_utf8(line, where);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    throw Error("{}: not valid JSON ({})", where, msg.substr(0, 200));
  }
  if (!j.is_object()) throw Error("{}: not a JSON object", where);
  return j;
}

}  // namespace qdq
