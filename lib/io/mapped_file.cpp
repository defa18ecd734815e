#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace qdq {

MappedFile::~MappedFile() {
  if (data) ::munmap(const_cast<uint8_t*>(data), size);
}

std::shared_ptr<MappedFile> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("{}: not a regular file", path);
  }
  auto map = std::make_shared<MappedFile>();
  if (st.st_size > 0) {
    // Private and writable: copy-on-write, so in-place ops on a view never touch the file.
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      throw Error("{}: cannot mmap: {}", path, std::strerror(e));
    }
    map->data = static_cast<const uint8_t*>(p);
    map->size = static_cast<size_t>(st.st_size);
  }
  ::close(fd);
  return map;
}

}  // namespace qdq
