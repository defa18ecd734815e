#include "io/path_guard.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace qdq {

namespace {

struct Read {
  std::string shown;  // as the user named it (a model directory's file: DIR/file)
  dev_t dev;
  ino_t ino;
};

void add_read(std::vector<Read>& out, const std::string& path) {
  struct stat st {};
  if (path.empty() || path == "-" || ::stat(path.c_str(), &st) != 0) return;  // missing: the reader reports it
  out.push_back({path, st.st_dev, st.st_ino});
  if (!S_ISDIR(st.st_mode)) return;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    struct stat fst {};
    if (::stat(e.path().c_str(), &fst) == 0 && !S_ISDIR(fst.st_mode))
      out.push_back({e.path().string(), fst.st_dev, fst.st_ino});
  }
}

const Read* find(const std::vector<Read>& reads, const struct stat& st) {
  for (const auto& r : reads)
    if (r.dev == st.st_dev && r.ino == st.st_ino) return &r;
  return nullptr;
}

}  // namespace

std::string tensors_arg_file(const std::string& arg) {
  const auto colon = arg.rfind(':');
  if (colon != std::string::npos && !fs::exists(arg)) return arg.substr(0, colon);
  return arg;
}

void refuse_overwriting_inputs(const std::vector<std::string>& reads, const std::vector<std::string>& writes,
                               const std::vector<std::string>& dir_writes) {
  std::vector<Read> in;
  for (const auto& r : reads) add_read(in, r);
  for (const auto& w : writes) {
    struct stat st {};
    if (w.empty() || w == "-") {
      // Standard output redirected onto an input file.
      if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode))
        if (const Read* r = find(in, st))
          throw Error("standard output is the input {}; refusing to overwrite it (redirect to another file)",
                      r->shown);
      continue;
    }
    if (::stat(w.c_str(), &st) != 0) continue;  // a new file
    if (const Read* r = find(in, st))
      throw Error("{}: is the input {}; refusing to overwrite it (choose another output path)", w, r->shown);
  }
  for (const auto& d : dir_writes) {
    struct stat st {};
    if (d.empty() || ::stat(d.c_str(), &st) != 0) continue;
    if (const Read* r = find(in, st))
      throw Error("{}: is the input {}; refusing to replace it (choose another output directory)", d, r->shown);
    // Replacing the directory removes everything in it: no input may live there.
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(d, ec);
    for (const auto& r : in) {
      const fs::path p = fs::weakly_canonical(r.shown, ec);
      auto rel = p.lexically_relative(root);
      if (!rel.empty() && *rel.begin() != "..")
        throw Error("{}: holds the input {}; refusing to replace it (choose another output directory)", d, r.shown);
    }
  }
}

}  // namespace qdq
