#pragma once
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

namespace qdq {
// std::string::ends_with arrives with C++20.
inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "a, b, c, ... (N in all)": the first names of a list, for one-line messages.
inline std::string list_some(const std::vector<std::string>& names, size_t first = 3) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < first; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > first) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}
}  // namespace qdq
