#pragma once
// A progress bar on stderr, drawn only when stderr is a terminal and logging
// is not quiet; otherwise silent (batch scripts and CI logs stay clean).
#include <chrono>
#include <cstdint>
#include <string>

namespace qdq::app {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  void advance(int64_t n = 1);
  void finish();

 private:
  void draw(bool force);
  std::string label_;
  int64_t total_, done_ = 0;
  bool active_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace qdq::app
