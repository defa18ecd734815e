#pragma once
// Every file qdqrt writes goes through here: bytes go to a temporary name in
// the destination's directory, are fsync'ed, and renamed into place on
// commit(). If commit() is never reached (error, kill), the destination is
// untouched and the temporary is removed (on destruction, or left as
// `.<name>.tmp.<pid>` after a hard kill, never under the final name).
#include <cstdio>
#include <string>
#include <string_view>

namespace qdq {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
};

// The same for a directory: fill tmp_dir(), then commit() renames it to the
// destination (which must not exist yet).
class AtomicDir {
 public:
  explicit AtomicDir(std::string path);
  ~AtomicDir();
  AtomicDir(const AtomicDir&) = delete;
  AtomicDir& operator=(const AtomicDir&) = delete;
  const std::string& tmp_dir() const { return tmp_; }
  void commit();

 private:
  std::string path_, tmp_;
  bool done_ = false;
};

// Puts the directory `fresh` (complete, on the same file system) in place of
// the existing directory `dest` in one step: readers see the old or the new
// directory, never a mix or nothing (renameat2 RENAME_EXCHANGE; where the file
// system lacks it, two renames). The old directory is then removed.
void replace_dir(const std::string& fresh, const std::string& dest);

// Writes a whole string atomically.
void write_file_atomic(const std::string& path, std::string_view content);
// Reads a whole file; Error "<path>: cannot read (...)" on failure.
std::string read_file(const std::string& path);

}  // namespace qdq
