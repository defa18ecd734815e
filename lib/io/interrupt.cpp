#include "io/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

namespace qdq::interrupt {

namespace {

struct Temporary {
  std::string tmp, final_path;
  bool is_dir;
};

// Recursive: a commit runs under it (committing) and unregisters its temporary inside.
std::recursive_mutex& temps_mutex() {
  static std::recursive_mutex m;
  return m;
}
std::vector<Temporary>& temps() {
  static std::vector<Temporary> t;
  return t;
}
std::vector<std::string>& expected() {  // under temps_mutex
  static std::vector<std::string> e;
  return e;
}
void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}
std::atomic<long> g_stdout_records{0};
bool g_dying = false;  // under temps_mutex: the cleanup has started

// What a thread does that would add to the disk after the cleanup: wait for the process to end.
[[noreturn]] void wait_for_the_end() {
  for (;;) ::pause();
}
std::atomic<bool> g_stdout_used{false};

sigset_t watched() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGHUP);
  return s;
}

const char* name_of(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP"; }

[[noreturn]] void on_signal(int sig) {
  // Whole records only: wait for the writer to finish its record, but briefly (a blocked pipe must
  // not keep a killed job alive).
  std::unique_lock<std::mutex> out(stdout_mutex(), std::defer_lock);
  for (int i = 0; i < 200 && !out.try_lock(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::vector<std::string> lost_paths;
  {
    std::lock_guard<std::recursive_mutex> g(temps_mutex());
    g_dying = true;
    lost_paths = expected();
    for (const auto& t : temps()) {
      std::error_code ec;
      if (t.is_dir) std::filesystem::remove_all(t.tmp, ec);
      else std::filesystem::remove(t.tmp, ec);
      // A file being written inside a temporary directory is part of that directory's output.
      bool inside = false;
      for (const auto& d : temps()) inside = inside || (d.is_dir && t.tmp.rfind(d.tmp + "/", 0) == 0);
      if (!inside) add_unique(lost_paths, t.final_path);
    }
    temps().clear();
  }
  std::string lost;
  for (const auto& p : lost_paths) lost += (lost.empty() ? "" : ", ") + p;
  std::string msg = std::string("interrupted by ") + name_of(sig);
  if (!lost.empty()) msg += ": " + lost + " not written";
  if (g_stdout_used)
    msg += (lost.empty() ? ": " : "; ") + std::string("stdout has the first ") +
           std::to_string(g_stdout_records.load()) + " records";
  msg += "\n";
  if (::write(STDERR_FILENO, msg.data(), msg.size()) < 0) {
    // Nothing more can be said.
  }
  // Die of the signal itself (status 128 + sig in a shell), so Slurm, parallel and shells see what happened.
  ::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);
}

}  // namespace

void install() {
  sigset_t s = watched();
  ::pthread_sigmask(SIG_BLOCK, &s, nullptr);
  std::thread([s] {
    int sig = 0;
    while (::sigwait(&s, &sig) != 0) {
    }
    on_signal(sig);
  }).detach();
}

void add_temporary(const std::string& tmp_path, const std::string& final_path, bool is_dir) {
  std::unique_lock<std::recursive_mutex> g(temps_mutex());
  if (g_dying) {
    g.unlock();
    wait_for_the_end();
  }
  temps().push_back({tmp_path, final_path, is_dir});
}

int committing(const std::function<int()>& commit) {
  std::unique_lock<std::recursive_mutex> g(temps_mutex());
  if (g_dying) {
    g.unlock();
    wait_for_the_end();
  }
  return commit();
}

void remove_temporary(const std::string& tmp_path) {
  std::lock_guard<std::recursive_mutex> g(temps_mutex());
  auto& t = temps();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].tmp == tmp_path) {
      t.erase(t.begin() + static_cast<long>(i));
      return;
    }
}

void expect_output(const std::string& final_path) {
  std::lock_guard<std::recursive_mutex> g(temps_mutex());
  add_unique(expected(), final_path);
}

void output_written(const std::string& final_path) {
  std::lock_guard<std::recursive_mutex> g(temps_mutex());
  auto& e = expected();
  e.erase(std::remove(e.begin(), e.end(), final_path), e.end());
}

std::mutex& stdout_mutex() {
  static std::mutex m;
  return m;
}

void count_stdout_records(long records) {
  g_stdout_used = true;
  g_stdout_records += records;
}

}  // namespace qdq::interrupt
