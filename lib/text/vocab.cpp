#include "text/vocab.h"

#include "core/error.h"
#include "io/atomic_file.h"
#include "text/unicode.h"
#include "io/utf8.h"

namespace qdq::text {

Vocab load_vocab_from_string(std::string_view content, const std::string& what) {
  check(!content.empty(), "{}: empty vocabulary", what);
  Vocab v;
  std::vector<std::string> lines;
  size_t start = 0;
  // Python's text mode turns \r\n and lone \r into line ends as well.
  for (size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (c == '\n' || c == '\r') {
      lines.emplace_back(content.substr(start, i - start));
      if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < content.size()) lines.emplace_back(content.substr(start));
  v.by_id.reserve(lines.size());
  v.has_id.assign(lines.size(), true);
  for (size_t i = 0; i < lines.size(); ++i) {
    check(is_valid_utf8(lines[i]), "{}: line {} is not valid UTF-8", what, i + 1);
    auto [it, fresh] = v.ids.emplace(lines[i], static_cast<int64_t>(i));
    if (!fresh) {
      v.has_id[it->second] = false;
      it->second = static_cast<int64_t>(i);
    }
    v.by_id.push_back(std::move(lines[i]));
  }
  return v;
}

Vocab load_vocab_file(const std::string& path) { return load_vocab_from_string(read_file(path), path); }

}  // namespace qdq::text
