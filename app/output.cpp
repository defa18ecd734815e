#include "output.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "flags.h"
#include "io/interrupt.h"

namespace qdq::app {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

namespace {
// The formats a file extension may mean, most specific first.
std::vector<std::string> formats_of_extension(const std::string& path) {
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".jsonl" || ext == ".ndjson") return {"jsonl"};
  if (ext == ".json") return {"json", "jsonl"};
  if (ext == ".txt") return {"text"};
  if (ext == ".npy") return {"npy"};
  if (ext == ".safetensors") return {"safetensors"};
  return {};
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
}  // namespace

void add_output_options(CLI::App& sub, OutputOptions& o, const std::vector<std::string>& formats,
                        const std::string& what, const std::string& extra_names) {
  const bool lines = std::find_if(formats.begin(), formats.end(), [](const std::string& f) {
                      return f == "jsonl" || f == "text" || f == "json";
                    }) != formats.end();
  const FlagRow& row = flag_row("--output");
  sub.add_option(row.names + extra_names, o.path, row.help + "; " + what + (lines ? " ('-' or none: stdout)" : ""));
  flag(sub, "--output-format", o.format,
       fmt::format("{}; default: from the output's file extension, else {}", joined(formats), formats.front()))
      ->check(CLI::IsMember(formats));
}

void check_output_path(const std::string& path) {
  interrupt::expect_output(path);  // an interruption from here on names it as not written
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError("{}: cannot write: is a directory", path);
  const fs::path dir = fs::path(path).parent_path();
  check(dir.empty() || fs::is_directory(dir, ec), "{}: cannot write: directory {} does not exist", path,
        dir.string());
}

void prepare_output(OutputOptions& o, const std::vector<std::string>& formats) {
  if (o.format.empty()) {
    o.format = formats.front();
    if (!o.to_stdout())
      for (const auto& f : formats_of_extension(o.path))
        if (std::find(formats.begin(), formats.end(), f) != formats.end()) {
          o.format = f;
          break;
        }
  }
  check(std::find(formats.begin(), formats.end(), o.format) != formats.end(),
        "--output-format {}: this command writes {}", o.format, joined(formats));
  check(!o.to_stdout() || o.format == "jsonl" || o.format == "text" || o.format == "json",
        "--output-format {} needs -o FILE (binary output is not written to stdout)", o.format);
  if (!o.to_stdout()) check_output_path(o.path);
}

LineWriter::LineWriter(const OutputOptions& o) {
  if (!o.to_stdout()) file_ = std::make_unique<AtomicFile>(o.path);
  else interrupt::count_stdout_records(0);  // an interruption says how many records stdout has, 0 included
}

void LineWriter::write(std::string_view lines) {
  if (file_) {
    file_->write(lines);
    return;
  }
  std::lock_guard<std::mutex> g(interrupt::stdout_mutex());
  std::fwrite(lines.data(), 1, lines.size(), stdout);
  std::fflush(stdout);
  interrupt::count_stdout_records(static_cast<long>(std::count(lines.begin(), lines.end(), '\n')));
}

void LineWriter::commit() {
  if (file_) file_->commit();
  else std::fflush(stdout);
}

}  // namespace qdq::app
