#pragma once
// Progress on stderr. On a terminal: a bar redrawn in place. Otherwise (a
// batch job's log): an info line "<label>: done/total (rate/s)" every few
// seconds, so a long job shows it is alive without flooding its log. Silent
// under -q. QDQRT_PROGRESS_SECONDS overrides the interval (tests use 0).
#include <chrono>
#include <cstdint>
#include <string>

namespace qdq::app {

class Progress {
 public:
  // total < 0: unknown (a streamed input); the line then shows only what is done.
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  void advance(int64_t n = 1);
  void finish();

 private:
  void draw(bool force);
  std::string label_;
  int64_t total_, done_ = 0;
  bool bar_ = false, lines_ = false;
  double interval_s_ = 5.0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace qdq::app
