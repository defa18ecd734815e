// qdqrt: run, calibrate and quantize QDQBERT and ProphetNet on the CPU.
// The command line behaves like git's: usage errors exit 2 with the usage
// line; no or an unknown subcommand lists the commands (and the nearest name);
// `help SUBCOMMAND`, -V/--version; every --help shows every default.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "io/interrupt.h"

namespace qdq::app {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}

namespace {
constexpr const char* kVersion = "qdqrt 0.1.0";
constexpr int kUsageExit = 2;

void print_commands(std::FILE* f) {
  std::fprintf(f, "usage: qdqrt [-t N] [-v|-q] COMMAND [OPTIONS]\n\ncommands:\n");
  for (auto& c : registry()) std::fprintf(f, "  %-10s %s\n", c.name.c_str(), c.help.c_str());
  std::fprintf(f, "\n'qdqrt help COMMAND' or 'qdqrt COMMAND --help' lists a command's options and defaults.\n");
}

const Command* find_command(const std::string& name) {
  for (auto& c : registry())
    if (c.name == name) return &c;
  return nullptr;
}

std::string nearest_command(const std::string& name) {
  std::string best;
  size_t bd = 1000;
  for (auto& c : registry())
    if (size_t d = edit_distance(name, c.name); d < bd) bd = d, best = c.name;
  return bd <= std::max<size_t>(2, name.size() / 2) ? best : "";
}

// The "Usage: ..." line of an app's help.
std::string usage_line(CLI::App& app) {
  const std::string h = app.help();
  const size_t p = h.find("Usage:");
  if (p == std::string::npos) return "";
  const size_t e = h.find('\n', p);
  std::string line = h.substr(p + 7, e == std::string::npos ? std::string::npos : e - p - 7);
  // CLI11 names a subcommand alone ("encode [OPTIONS]"); a user types "qdqrt encode".
  if (app.get_parent() != nullptr) line = "qdqrt " + line;
  return "usage: " + line;
}

// The subcommand word, skipping global options (and -t's value); "" when there is none.
std::string first_command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-t" || a == "--threads") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return "";
}
}  // namespace
}  // namespace qdq::app

int main(int argc, char** argv) {
  using namespace qdq::app;
  // Before any thread exists: SIGINT / SIGTERM / SIGHUP remove this process's temporaries (io/interrupt.h).
  qdq::interrupt::install();
  CLI::App app{"qdqrt: run, calibrate and quantize QDQBERT and ProphetNet models on the CPU (oneDNN fp32/int8)",
               "qdqrt"};
  app.set_version_flag("-V,--version", kVersion);
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.fallthrough();
  CommonOptions common;
  app.add_option("-t,--threads", common.threads, "Threads, 1..1024 (default: OMP_NUM_THREADS, else every core)")
      ->check(int_range(1, 1024));
  app.add_flag("-v,--verbose", common.verbose, "More logging on stderr (-vv for trace)");
  app.add_flag("-q,--quiet", common.quiet, "Only errors on stderr");

  auto& cmds = registry();
  std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.order < b.order; });
  std::function<int()> action;
  for (auto& c : cmds) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    auto run = c.setup(*sub, common);
    sub->callback([&action, run] { action = run; });
  }

  bool asks_help_or_version = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "-V" || a == "--version") asks_help_or_version = true;
  }
  const std::string word = first_command_word(argc, argv);
  if (word == "help") {
    // `qdqrt help [COMMAND]`
    std::string topic;
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]) == "help" && i + 1 < argc) topic = argv[i + 1];
    if (topic.empty()) {
      print_commands(stdout);
      return 0;
    }
    if (!find_command(topic)) {
      const std::string near = nearest_command(topic);
      std::fprintf(stderr, "qdqrt: error: unknown command '%s'%s\n", topic.c_str(),
                   near.empty() ? "" : (", did you mean '" + near + "'?").c_str());
      print_commands(stderr);
      return kUsageExit;
    }
    std::fputs(app.get_subcommand(topic)->help().c_str(), stdout);
    return 0;
  }
  if (word.empty() && !asks_help_or_version) {
    std::fprintf(stderr, "qdqrt: error: no command given\n");
    print_commands(stderr);
    return kUsageExit;
  }
  if (!word.empty() && !find_command(word)) {
    const std::string near = nearest_command(word);
    std::fprintf(stderr, "qdqrt: error: unknown command '%s'%s\n", word.c_str(),
                 near.empty() ? "" : (", did you mean '" + near + "'?").c_str());
    print_commands(stderr);
    return kUsageExit;
  }

  // Hugging Face's snake_case spellings, then unknown options named with the nearest known one
  // (CLI11 alone would report a missing --model for a mistyped --modle).
  CLI::App* sub_app = word.empty() ? nullptr : app.get_subcommand(word);
  std::vector<std::string> args(argv + 1, argv + argc);
  args = normalize_snake_case(args, app, sub_app);
  if (!asks_help_or_version) {
    const std::string unknown = unknown_option_message(args, app, sub_app);
    if (!unknown.empty()) {
      std::fprintf(stderr, "qdqrt%s%s: error: %s\n", sub_app ? " " : "", sub_app ? word.c_str() : "", unknown.c_str());
      std::fprintf(stderr, "%s\n", usage_line(sub_app ? *sub_app : app).c_str());
      std::fprintf(stderr, "Run 'qdqrt help %s' for every option and its default.\n", sub_app ? word.c_str() : "");
      return kUsageExit;
    }
  }
  std::vector<char*> argv2{argv[0]};
  for (auto& a : args) argv2.push_back(a.data());
  try {
    app.parse(static_cast<int>(argv2.size()), argv2.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    CLI::App* sub = word.empty() ? nullptr : app.get_subcommand(word);
    std::fprintf(stderr, "qdqrt%s%s: error: %s\n", sub ? " " : "", sub ? word.c_str() : "", e.what());
    std::fprintf(stderr, "%s\n", usage_line(sub ? *sub : app).c_str());
    std::fprintf(stderr, "Run 'qdqrt help %s' for every option and its default.\n", sub ? word.c_str() : "");
    return kUsageExit;
  }
  qdq::setup_logging(common.quiet ? -1 : common.verbose);
  qdq::set_threads(common.threads);
  try {
    return action ? action() : 0;
  } catch (const UsageError& e) {
    spdlog::error("{}", e.what());
    std::fprintf(stderr, "%s\n", usage_line(sub_app ? *sub_app : app).c_str());
    return kUsageExit;
  } catch (const qdq::Error& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return 3;
  }
}
