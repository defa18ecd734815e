#include "flags.h"

#include "core/log.h"

namespace qdq::app {

const CLI::Validator& positive_int() {
  static const CLI::Validator v(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          const long long n = std::stoll(s, &used);
          if (used == s.size() && n >= 1) return "";
        } catch (const std::exception&) {
        }
        return "must be a positive integer, got '" + s + "'";
      },
      "POSITIVE");
  return v;
}

bool given(const CLI::App& sub, const std::string& name) {
  const CLI::Option* o = sub.get_option_no_throw(name);
  return o != nullptr && o->count() > 0;
}

void warn_no_effect(const CLI::App& sub, const std::string& name, bool no_effect, const std::string& why) {
  if (no_effect && given(sub, name)) spdlog::warn("{} has no effect {}", name, why);
}

}  // namespace qdq::app
