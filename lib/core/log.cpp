#include "core/log.h"

#include <omp.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace qdq {

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("qdqrt");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbosity < 0 ? spdlog::level::err
                    : verbosity == 0 ? spdlog::level::info
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::trace);
}

void set_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}

}  // namespace qdq
