#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/interrupt.h"

namespace fs = std::filesystem;

namespace qdq {

namespace {
std::string tmp_name_for(const std::string& path) {
  fs::path p(path);
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  return (dir / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
}
void fsync_dir_of(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(tmp_name_for(path_)) {
  fs::path dir = fs::path(path_).parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw Error("{}: cannot write: directory {} does not exist", path_, dir.string());
  // Registered before it exists, so a signal at any point removes it (io/interrupt.h).
  interrupt::add_temporary(tmp_, path_, false);
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) {
    interrupt::remove_temporary(tmp_);
    throw Error("{}: cannot write: {}", path_, std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (f_) {
    std::fclose(f_);
    std::remove(tmp_.c_str());
    interrupt::remove_temporary(tmp_);
  }
}

void AtomicFile::write(const void* data, size_t n) {
  if (n && std::fwrite(data, 1, n, f_) != n) throw Error("{}: write failed: {}", path_, std::strerror(errno));
}

void AtomicFile::commit() {
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0)
    throw Error("{}: write failed: {}", path_, std::strerror(errno));
  std::fclose(f_);
  f_ = nullptr;
  // Renamed and unregistered in one step with respect to a signal's cleanup (io/interrupt.h).
  const int e = interrupt::committing([&] {
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) return errno;
    interrupt::remove_temporary(tmp_);
    interrupt::output_written(path_);
    return 0;
  });
  if (e != 0) {
    std::remove(tmp_.c_str());
    interrupt::remove_temporary(tmp_);
    throw Error("{}: cannot rename into place: {}", path_, std::strerror(e));
  }
  fsync_dir_of(path_);
}

AtomicDir::AtomicDir(std::string path) : path_(std::move(path)), tmp_(tmp_name_for(path_)) {
  if (fs::exists(path_)) throw Error("{}: already exists; refusing to overwrite", path_);
  fs::path dir = fs::path(path_).parent_path();
  if (!dir.empty() && !fs::is_directory(dir))
    throw Error("{}: cannot write: directory {} does not exist", path_, dir.string());
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  interrupt::add_temporary(tmp_, path_, true);
  if (!fs::create_directory(tmp_, ec)) {
    interrupt::remove_temporary(tmp_);
    throw Error("{}: cannot create: {}", tmp_, ec.message());
  }
}

AtomicDir::~AtomicDir() {
  if (!done_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
    interrupt::remove_temporary(tmp_);
  }
}

void AtomicDir::commit() {
  const int e = interrupt::committing([&] {
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) return errno;
    done_ = true;
    interrupt::remove_temporary(tmp_);
    interrupt::output_written(path_);
    return 0;
  });
  if (e != 0) throw Error("{}: cannot rename into place: {}", path_, std::strerror(e));
  fsync_dir_of(path_);
}

void replace_dir(const std::string& fresh, const std::string& dest) {
  // The exchange is one step with respect to a signal's cleanup. A caller that registered `fresh` as
  // a temporary keeps it registered until it is removed below: it then holds the old directory.
  const int swapped = interrupt::committing([&] {
    if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, dest.c_str(), RENAME_EXCHANGE) != 0) return errno;
    interrupt::output_written(dest);
    return 0;
  });
  if (swapped != 0) {
    errno = swapped;
    if (errno != EINVAL && errno != ENOSYS) throw Error("{}: cannot replace: {}", dest, std::strerror(errno));
    const std::string old = tmp_name_for(dest) + ".old";
    if (std::rename(dest.c_str(), old.c_str()) != 0 || std::rename(fresh.c_str(), dest.c_str()) != 0)
      throw Error("{}: cannot replace: {}", dest, std::strerror(errno));
    std::error_code ec;
    fs::remove_all(old, ec);
    fsync_dir_of(dest);
    return;
  }
  fsync_dir_of(dest);
  std::error_code ec;
  fs::remove_all(fresh, ec);  // now holds the old directory
  interrupt::remove_temporary(fresh);
}

void write_file_atomic(const std::string& path, std::string_view content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error("{}: is a directory, expected a file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("{}: cannot read: {}", path, std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace qdq
