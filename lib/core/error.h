#pragma once
// One error type for everything the user can cause (bad files, bad flags, bad
// data). The CLI prints what() on one line and exits with status 1; anything
// else escaping is a bug.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace qdq {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
  template <class... A>
  explicit Error(fmt::format_string<A...> f, A&&... a)
      : std::runtime_error(fmt::format(f, std::forward<A>(a)...)) {}
};

// Throws Error when cond is false; for checks on outside data.
template <class... A>
inline void check(bool cond, fmt::format_string<A...> f, A&&... a) {
  if (!cond) throw Error(fmt::format(f, std::forward<A>(a)...));
}

}  // namespace qdq
