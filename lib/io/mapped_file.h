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

// Gives back to the kernel the resident pages wholly inside [p, p + n) when
// that range lies in a live mapping (no-op otherwise, e.g. for heap tensors).
// For a weight the model has copied into a kernel's own layout: the view stays
// valid and reads the file's bytes again if touched (the pages are re-read
// from the page cache), so the process holds one copy of each weight, not two.
// Only for ranges the process never wrote (a written copy-on-write page would
// revert to the file's bytes).
void release_mapped_pages(const void* p, size_t n);

}  // namespace qdq
