#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/log.h"

namespace qdq::app {

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total),
      active_(enabled && ::isatty(STDERR_FILENO) && spdlog::get_level() <= spdlog::level::info),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::draw(bool force) {
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  int width = 30, filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : 0;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f/s", label_.c_str(), bar.c_str(), (long long)done_,
               (long long)total_, secs > 0 ? done_ / secs : 0.0);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!active_) return;
  draw(true);
  std::fputc('\n', stderr);
  active_ = false;
}

}  // namespace qdq::app
