#pragma once
// A WordPiece vocabulary file: one token per line, line number = id, read as
// transformers' load_vocab reads it (universal newlines; a token repeated
// later takes the later id, and the earlier id then decodes to the unk token).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qdq::text {

struct Vocab {
  std::unordered_map<std::string, int64_t> ids;
  std::vector<std::string> by_id;  // "" where the id lost its token to a later duplicate
  std::vector<bool> has_id;

  int64_t size() const { return static_cast<int64_t>(ids.size()); }  // HF vocab_size: distinct tokens
  const std::string* token(int64_t id) const {
    return id >= 0 && id < static_cast<int64_t>(by_id.size()) && has_id[id] ? &by_id[id] : nullptr;
  }
  int64_t find(const std::string& tok) const {
    auto it = ids.find(tok);
    return it == ids.end() ? -1 : it->second;
  }
};

// Errors name `what`: "<what>: empty vocabulary", "<what>: line N is not valid UTF-8".
Vocab load_vocab_from_string(std::string_view content, const std::string& what);
Vocab load_vocab_file(const std::string& path);

}  // namespace qdq::text
