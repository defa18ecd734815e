#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/log.h"

namespace qdq::app {

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()), last_(start_) {
  const bool on = enabled && spdlog::get_level() <= spdlog::level::info;
  bar_ = on && ::isatty(STDERR_FILENO);
  lines_ = on && !bar_;
  if (const char* s = std::getenv("QDQRT_PROGRESS_SECONDS")) interval_s_ = std::atof(s);
}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::draw(bool force) {
  if (!bar_ && !lines_) return;
  auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (!force && since < (bar_ ? 0.1 : interval_s_)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? done_ / secs : 0.0;
  if (lines_) {
    if (total_ >= 0) spdlog::info("{}: {}/{} done ({:.1f}/s)", label_, done_, total_, rate);
    else spdlog::info("{}: {} done ({:.1f}/s)", label_, done_, rate);
    return;
  }
  if (total_ < 0) {  // a pipe: how many are done, not a bar towards an unknown end
    std::fprintf(stderr, "\r%s %lld done %.1f/s", label_.c_str(), (long long)done_, rate);
    std::fflush(stderr);
    return;
  }
  int width = 30, filled = total_ > 0 ? static_cast<int>(width * std::min(done_, total_) / total_) : width;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f/s", label_.c_str(), bar.c_str(), (long long)done_,
               (long long)total_, rate);
  std::fflush(stderr);
}

void Progress::finish() {
  if (bar_) {
    draw(true);
    std::fputc('\n', stderr);
  }
  bar_ = lines_ = false;
}

}  // namespace qdq::app
