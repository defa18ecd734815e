#pragma once
// Small shared pieces of option handling, so every subcommand validates and
// warns the same way (one place, like llama.cpp's single flag table).
#include <CLI/CLI.hpp>
#include <string>

namespace qdq::app {

// Integer >= 1 with a short message ("must be a positive integer"), where
// CLI::PositiveNumber would print its 300-digit upper bound.
const CLI::Validator& positive_int();

// True when the user gave `name` (e.g. "--temperature") on the command line.
bool given(const CLI::App& sub, const std::string& name);

// Hugging Face warns when a generation flag has no effect (temperature without
// do_sample); qdqrt does the same for every option: one warning each,
// "<name> has no effect <why>", when `name` was given and `no_effect` holds.
void warn_no_effect(const CLI::App& sub, const std::string& name, bool no_effect, const std::string& why);

}  // namespace qdq::app
