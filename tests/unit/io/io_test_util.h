#pragma once
// Helpers for the io tests: hand-made zip archives and pickles, and temp dirs.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace qdq::testing {

inline std::string le_bytes(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

struct ZipFile {
  std::string name, data;
  uint16_t method = 0;  // 0 stored, 8 deflate (only the flag; the bytes stay as given)
};

// A minimal zip (no ZIP64, no descriptors): local headers, central directory, end record.
inline std::string make_zip(const std::vector<ZipFile>& files) {
  std::string out, central;
  for (auto& f : files) {
    uint64_t local = out.size();
    out += le_bytes(0x04034b50, 4) + le_bytes(20, 2) + le_bytes(0, 2) + le_bytes(f.method, 2) + le_bytes(0, 4) +
           le_bytes(0, 4) + le_bytes(f.data.size(), 4) + le_bytes(f.data.size(), 4) + le_bytes(f.name.size(), 2) +
           le_bytes(0, 2) + f.name + f.data;
    central += le_bytes(0x02014b50, 4) + le_bytes(20, 2) + le_bytes(20, 2) + le_bytes(0, 2) + le_bytes(f.method, 2) +
               le_bytes(0, 4) + le_bytes(0, 4) + le_bytes(f.data.size(), 4) + le_bytes(f.data.size(), 4) +
               le_bytes(f.name.size(), 2) + le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(0, 2) +
               le_bytes(0, 4) + le_bytes(local, 4) + f.name;
  }
  uint64_t cd = out.size();
  out += central;
  out += le_bytes(0x06054b50, 4) + le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(files.size(), 2) +
         le_bytes(files.size(), 2) + le_bytes(central.size(), 4) + le_bytes(cd, 4) + le_bytes(0, 2);
  return out;
}

// Pickle pieces (protocol 2, as torch.save writes them).
inline std::string p_str(const std::string& s) { return "X" + le_bytes(s.size(), 4) + s; }
inline std::string p_int(uint32_t v) { return "J" + le_bytes(v, 4); }
inline std::string p_ints(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (auto x : v) s += p_int(static_cast<uint32_t>(x));
  return s + "t";
}
// One "name: _rebuild_tensor_v2(storage key, offset, size, stride, False, OrderedDict())" item.
inline std::string p_tensor_item(const std::string& name, const std::string& key, int64_t numel, int64_t offset,
                                 const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                                 const std::string& storage_type = "FloatStorage") {
  return p_str(name) + "ctorch._utils\n_rebuild_tensor_v2\n((" + p_str("storage") + "ctorch\n" + storage_type + "\n" +
         p_str(key) + p_str("cpu") + p_int(static_cast<uint32_t>(numel)) + "tQ" + p_int(static_cast<uint32_t>(offset)) +
         p_ints(size) + p_ints(stride) + "\x89" + "ccollections\nOrderedDict\n)RtR";
}
inline std::string p_state_dict(const std::string& items) { return std::string("\x80\x02}(") + items + "u."; }

inline std::string make_bin(const std::string& pkl, const std::vector<std::pair<std::string, std::string>>& storages) {
  std::vector<ZipFile> files{{"archive/data.pkl", pkl}};
  for (auto& [k, v] : storages) files.push_back({"archive/data/" + k, v});
  files.push_back({"archive/version", "3\n"});
  return make_zip(files);
}

template <class T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("qdqrt_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

}  // namespace qdq::testing
