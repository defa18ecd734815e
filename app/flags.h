#pragma once
// One table of every flag (llama.cpp's common/arg.cpp is the model): each
// name has one meaning, one help text and one check, whichever subcommand
// takes it, and `--help` prints each default from the variable it is bound to
// (generation settings: from decoding::Options, the struct that holds them).
// Commands pick rows by long name: flag(sub, "--batch-size", o.batch_size).
// Hugging Face's snake_case spellings (--max_new_tokens) are accepted for every
// long name, and an unknown option is named with the nearest known one
// (main.cpp, before CLI11 parses).
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace qdq::app {

// A mistake in the command line found after parsing (a bad combination of flags): exit 2 with the
// usage line, as CLI11's own parse errors.
struct UsageError : Error {
  using Error::Error;
};

struct FlagRow {
  std::string key;    // the long name, or "COMMAND --name" where a subcommand takes a Hugging Face name
                      // in that library's other meaning (generate's --max-length, --top-k)
  std::string names;  // CLI11 names: "-b,--batch-size"
  std::string help;
  std::function<void(CLI::Option*)> check;  // validators, required, ...; may be empty
};

const std::vector<FlagRow>& flag_table();
const FlagRow& flag_row(const std::string& key);

// Adds the row's option bound to `var`; `extra` is appended to the help (what this subcommand
// does with it, when that needs saying).
template <class T>
CLI::Option* flag(CLI::App& sub, const std::string& key, T& var, const std::string& extra = "") {
  const FlagRow& r = flag_row(key);
  CLI::Option* o = sub.add_option(r.names, var, extra.empty() ? r.help : r.help + "; " + extra);
  if (r.check) r.check(o);
  return o;
}
// A switch (no value).
CLI::Option* switch_flag(CLI::App& sub, const std::string& key, bool& var, const std::string& extra = "");

// Integer >= 1 with a short message ("must be a positive integer"), where
// CLI::PositiveNumber would print its 300-digit upper bound.
const CLI::Validator& positive_int();
// Integer in [lo, hi], with a readable message.
CLI::Validator int_range(long long lo, long long hi);

// True when the user gave `name` (e.g. "--temperature") on the command line.
bool given(const CLI::App& sub, const std::string& name);

// Hugging Face warns when a generation flag has no effect (temperature without
// do_sample); qdqrt does the same for every option: one warning each,
// "<name> has no effect <why>", when `name` was given and `no_effect` holds.
void warn_no_effect(const CLI::App& sub, const std::string& name, bool no_effect, const std::string& why);

// argv as the parser should see it: `--max_new_tokens` -> `--max-new-tokens` where the dashed name
// is an option of `app` or its subcommand `sub`. Stops at "--".
std::vector<std::string> normalize_snake_case(const std::vector<std::string>& args, const CLI::App& app,
                                              const CLI::App* sub);
// "" when every --name in args (up to "--") is known; else the error line for the first unknown one,
// with the nearest known name.
std::string unknown_option_message(const std::vector<std::string>& args, const CLI::App& app, const CLI::App* sub);

size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace qdq::app
