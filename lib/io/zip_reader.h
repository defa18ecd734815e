#pragma once
// The central directory of a zip archive held in memory, as torch.save writes
// it: stored (uncompressed) entries, ZIP64 records, data descriptors. Every
// offset and size is checked against the image size, so an entry's bytes are
// always [offset, offset + size) inside the image.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace qdq {

struct ZipEntry {
  uint64_t offset = 0;  // of the entry's data in the image
  uint64_t size = 0;
};

// name -> entry. Error "<what>: ..." for anything malformed, compressed, encrypted or split.
std::map<std::string, ZipEntry> read_zip_directory(const uint8_t* bytes, size_t size, const std::string& what);

}  // namespace qdq
