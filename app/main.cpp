// qdqrt: run, calibrate and quantize QDQBERT and ProphetNet on the CPU.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "command.h"
#include "core/error.h"
#include "core/log.h"

namespace qdq::app {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace qdq::app

int main(int argc, char** argv) {
  using namespace qdq::app;
  CLI::App app{"qdqrt: run, calibrate and quantize QDQBERT and ProphetNet models on the CPU (oneDNN fp32/int8)"};
  app.set_version_flag("--version", "qdqrt 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  CommonOptions common;
  app.add_option("-t,--threads", common.threads, "Number of threads (default: OMP_NUM_THREADS or all cores)")
      ->check(CLI::NonNegativeNumber);
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  qdq::setup_logging(common.quiet ? -1 : common.verbose);
  qdq::set_threads(common.threads);
  try {
    return action ? action() : 0;
  } catch (const qdq::Error& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return 2;
  }
}
