#include "io/zip_reader.h"

#include <algorithm>

#include "core/error.h"

namespace qdq {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr size_t kEocdSize = 22, kZip64LocatorSize = 20, kZip64EocdSize = 56;
constexpr size_t kCentralSize = 46, kLocalSize = 30;

// Little-endian reads at a position the caller has bounds-checked.
uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct Directory {
  uint64_t entries = 0, offset = 0, size = 0;
};

Directory find_directory(const uint8_t* b, size_t size, const std::string& what) {
  check(size >= kEocdSize, "{}: not a zip archive ({} bytes, too short)", what, size);
  // The end record sits before a comment of at most 65535 bytes; search backwards.
  size_t lowest = size - kEocdSize > 65535 ? size - kEocdSize - 65535 : 0;
  size_t pos = size - kEocdSize + 1;
  bool found = false;
  while (pos-- > lowest) {
    if (le(b + pos, 4) == kEocdSig && pos + kEocdSize + le(b + pos + 20, 2) <= size) {
      found = true;
      break;
    }
  }
  check(found, "{}: not a zip archive (no end of central directory record; truncated?)", what);
  const uint8_t* e = b + pos;
  check(le(e + 4, 2) == 0 && le(e + 6, 2) == 0, "{}: multi-disk zip archives are not supported", what);
  Directory d{le(e + 10, 2), le(e + 16, 4), le(e + 12, 4)};
  bool has_locator = pos >= kZip64LocatorSize && le(b + pos - kZip64LocatorSize, 4) == kZip64LocatorSig;
  if (has_locator) {
    const uint8_t* l = b + pos - kZip64LocatorSize;
    uint64_t off = le(l + 8, 8);
    check(off <= size && size - off >= kZip64EocdSize && off + kZip64EocdSize <= pos - kZip64LocatorSize,
          "{}: ZIP64 end record offset {} is outside the archive", what, off);
    const uint8_t* z = b + off;
    check(le(z, 4) == kZip64EocdSig, "{}: ZIP64 end record missing at offset {}", what, off);
    check(le(z + 16, 4) == 0 && le(z + 20, 4) == 0, "{}: multi-disk zip archives are not supported", what);
    d = {le(z + 32, 8), le(z + 48, 8), le(z + 40, 8)};
  } else {
    check(d.entries != 0xffff && d.offset != 0xffffffff && d.size != 0xffffffff,
          "{}: zip end record needs ZIP64 records that are missing", what);
  }
  check(d.offset <= size && d.size <= size - d.offset, "{}: central directory [{}, +{}) runs past the end ({} bytes)",
        what, d.offset, d.size, size);
  check(d.entries <= d.size / kCentralSize, "{}: central directory claims {} entries in {} bytes", what, d.entries,
        d.size);
  return d;
}

// Fields of a central entry that were 0xffffffff come from its ZIP64 extra field, in this order.
void apply_zip64_extra(const uint8_t* x, size_t n, uint64_t& usize, uint64_t& csize, uint64_t& local,
                       const std::string& what, const std::string& name) {
  size_t i = 0;
  while (i + 4 <= n) {
    uint64_t id = le(x + i, 2), len = le(x + i + 2, 2);
    check(i + 4 + len <= n, "{}: entry '{}': extra field runs past its end", what, name);
    if (id == 1) {
      const uint8_t* p = x + i + 4;
      size_t k = 0;
      for (uint64_t* f : {&usize, &csize, &local}) {
        if (*f != 0xffffffff) continue;
        check(k + 8 <= len, "{}: entry '{}': ZIP64 extra field too short", what, name);
        *f = le(p + k, 8);
        k += 8;
      }
      return;
    }
    i += 4 + len;
  }
}

}  // namespace

std::map<std::string, ZipEntry> read_zip_directory(const uint8_t* b, size_t size, const std::string& what) {
  Directory d = find_directory(b, size, what);
  std::map<std::string, ZipEntry> out;
  uint64_t pos = d.offset;
  const uint64_t end = d.offset + d.size;
  for (uint64_t i = 0; i < d.entries; ++i) {
    check(end - pos >= kCentralSize && le(b + pos, 4) == kCentralSig, "{}: central directory entry {} is corrupt",
          what, i);
    const uint8_t* c = b + pos;
    uint64_t flags = le(c + 8, 2), method = le(c + 10, 2);
    uint64_t csize = le(c + 20, 4), usize = le(c + 24, 4);
    uint64_t nlen = le(c + 28, 2), xlen = le(c + 30, 2), clen = le(c + 32, 2);
    uint64_t disk = le(c + 34, 2), local = le(c + 42, 4);
    check(kCentralSize + nlen + xlen + clen <= end - pos, "{}: central directory entry {} runs past its end", what, i);
    std::string name(reinterpret_cast<const char*>(c + kCentralSize), nlen);
    apply_zip64_extra(c + kCentralSize + nlen, xlen, usize, csize, local, what, name);
    check(disk == 0 || disk == 0xffff, "{}: entry '{}' is on another disk", what, name);
    check(!(flags & 1), "{}: entry '{}' is encrypted", what, name);
    check(method == 0, "{}: entry '{}' is compressed (method {}); only stored entries, as torch.save writes, are supported",
          what, name, method);
    check(csize == usize, "{}: entry '{}': stored entry with compressed size {} != size {}", what, name, csize, usize);
    check(local <= size && size - local >= kLocalSize && le(b + local, 4) == kLocalSig,
          "{}: entry '{}': local header at offset {} is missing or outside the archive", what, name, local);
    const uint8_t* l = b + local;
    uint64_t data = local + kLocalSize + le(l + 26, 2) + le(l + 28, 2);
    check(data <= size && usize <= size - data, "{}: entry '{}': data [{}, +{}) runs past the end of the archive ({} bytes)",
          what, name, data, usize, size);
    check(out.emplace(name, ZipEntry{data, usize}).second, "{}: entry '{}' appears twice", what, name);
    pos += kCentralSize + nlen + xlen + clen;
  }
  return out;
}

}  // namespace qdq
