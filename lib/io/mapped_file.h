#pragma once
// A whole file mapped read-only-in-spirit (private, copy-on-write) so that
// checkpoint tensors can be views into it without a copy. Tensors keep the
// mapping alive through their holder (the shared_ptr).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace qdq {

struct MappedFile {
  const uint8_t* data = nullptr;
  size_t size = 0;
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
};

// Error "<path>: cannot open: ..." / "<path>: not a regular file" / "... cannot mmap".
std::shared_ptr<MappedFile> map_file(const std::string& path);

}  // namespace qdq
