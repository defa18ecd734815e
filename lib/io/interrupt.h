#pragma once
// What an interrupted run leaves behind. SIGINT, SIGTERM (what Slurm sends at a
// time limit) and SIGHUP are blocked in every thread and taken by one watcher
// thread (sigwait), so the cleanup runs in ordinary code, not in a signal
// handler: it removes every temporary this process registered (AtomicFile,
// AtomicDir), prints one line
//   interrupted by SIGTERM: out.jsonl not written; stdout has the first 96 records
// and ends the process with the signal's own status (128 + signal), re-raised.
// Records streamed to stdout stay whole: the watcher takes the same lock that
// guards each record write.
#include <functional>
#include <mutex>
#include <string>

namespace qdq::interrupt {

// Blocks the three signals and starts the watcher. Call at the start of main,
// before any thread exists (threads inherit the mask; OpenMP's workers too).
void install();

// Temporaries of this process: removed if a signal arrives before they are
// committed or discarded. `final_path` is what the message says is not written.
// Once a signal is being handled, add_temporary never returns (the thread waits
// for the end), so no temporary appears after the cleanup.
void add_temporary(const std::string& tmp_path, const std::string& final_path, bool is_dir);
void remove_temporary(const std::string& tmp_path);

// Runs `commit` (a rename into place) atomically with respect to the cleanup:
// either it completes before a signal's cleanup starts, or it never runs (the
// thread waits for the end). Returns what `commit` returns.
int committing(const std::function<int()>& commit);

// Outputs the run will write (named by the message until written): registered when the command
// checks its output paths, before any work; an AtomicFile's commit marks its path written.
void expect_output(const std::string& final_path);
void output_written(const std::string& final_path);

// Held while whole records go to stdout; `records` is how many that write completed.
std::mutex& stdout_mutex();
void count_stdout_records(long records);

}  // namespace qdq::interrupt
