#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace qdq {

namespace {
// The live mappings, so release_mapped_pages can tell a mapped range from heap memory.
std::mutex g_maps_mu;
std::vector<const MappedFile*> g_maps;
}  // namespace

MappedFile::~MappedFile() {
  if (!data) return;
  {
    std::lock_guard<std::mutex> lock(g_maps_mu);
    for (auto it = g_maps.begin(); it != g_maps.end(); ++it)
      if (*it == this) {
        g_maps.erase(it);
        break;
      }
  }
  ::munmap(const_cast<uint8_t*>(data), size);
}

void release_mapped_pages(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  std::lock_guard<std::mutex> lock(g_maps_mu);
  for (const MappedFile* m : g_maps) {
    if (b < m->data || b + n > m->data + m->size) continue;
    const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t lo = (reinterpret_cast<uintptr_t>(b) + page - 1) / page * page;
    const uintptr_t hi = (reinterpret_cast<uintptr_t>(b) + n) / page * page;
    if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
    return;
  }
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
    std::lock_guard<std::mutex> lock(g_maps_mu);
    g_maps.push_back(map.get());
  }
  ::close(fd);
  return map;
}

}  // namespace qdq
