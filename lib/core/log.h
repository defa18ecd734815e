#pragma once
// Logging goes to stderr through spdlog; stdout is reserved for results.
#include <spdlog/spdlog.h>

namespace qdq {
// verbosity: -1 quiet (errors only), 0 info, 1 debug, 2 trace.
void setup_logging(int verbosity);
// Sets OpenMP (and so oneDNN) threads; 0 keeps the default.
void set_threads(int n);
}  // namespace qdq
