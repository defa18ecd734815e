#pragma once
// Subcommands register themselves: each app/cmd_<name>.cpp defines a static
// Command whose setup() adds its options to a CLI11 subcommand and returns the
// function to run after parsing. main.cpp only iterates the registry.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace qdq::app {

// Options every subcommand has (llama.cpp / CTranslate2 spellings).
struct CommonOptions {
  int threads = 0;  // 0: OpenMP default (OMP_NUM_THREADS or all cores)
  int verbose = 0;
  bool quiet = false;
};

struct Command {
  std::string name;
  std::string help;
  int order;  // position in --help
  // Adds options to `sub`; returns the action run after a successful parse (exit status).
  std::function<std::function<int()>(CLI::App& sub, CommonOptions& common)> setup;
};

std::vector<Command>& registry();

struct RegisterCommand {
  explicit RegisterCommand(Command c) { registry().push_back(std::move(c)); }
};

}  // namespace qdq::app
