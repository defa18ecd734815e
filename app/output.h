#pragma once
// The one output rule every result-writing subcommand follows:
//   * -o/--output FILE ("-" or none: stdout) and --output-format; without the
//     flag the format comes from the file's extension (case-insensitive:
//     .jsonl/.ndjson/.json, .txt, .npy, .safetensors), else the command's default;
//   * the destination is checked before any work (its directory exists, it is
//     not a directory), so a typo fails at once, not after an hour of compute;
//   * line outputs (jsonl, text) go to stdout as each batch finishes, flushed,
//     so a pipe sees progress and an interrupted run keeps what was done; to a
//     FILE they are written atomically (a temporary renamed on success).
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/atomic_file.h"

namespace qdq::app {

struct OutputOptions {
  std::string path;    // "" or "-": stdout
  std::string format;  // jsonl | text | npy | safetensors; "" = from the extension, else the default
  bool to_stdout() const { return path.empty() || path == "-"; }
};

// Adds -o/--output (alias --out) and --output-format (alias --format), restricted to `formats`, the
// first being the default; `what` says what this command writes there; `extra_names` (",--tensors-out")
// more names for -o where a command has always taken them.
void add_output_options(CLI::App& sub, OutputOptions& o, const std::vector<std::string>& formats,
                        const std::string& what, const std::string& extra_names = "");

// Resolves the format and checks the destination; call before any work.
// Errors: a format the command cannot write, a binary format to stdout, a missing directory.
void prepare_output(OutputOptions& o, const std::vector<std::string>& formats);

// "<path>: cannot write: directory <dir> does not exist" (or "is a directory") now rather than later.
void check_output_path(const std::string& path);

// A lower-cased copy (file extensions are matched case-insensitively).
std::string lower(std::string s);

// Line results in input order: stdout gets each write at once (flushed, whole
// records even when a signal arrives: io/interrupt.h); a file collects them in
// a temporary renamed into place by commit().
class LineWriter {
 public:
  explicit LineWriter(const OutputOptions& o);
  void write(std::string_view lines);
  void commit();

 private:
  std::unique_ptr<AtomicFile> file_;
};

}  // namespace qdq::app
