#include "io/pytorch_bin.h"

#include "core/error.h"
#include "io/mapped_file.h"
#include "io/torch_unpickler.h"
#include "io/zip_reader.h"

namespace qdq {

namespace {
// torch.save puts everything under one top-level folder named after the file
// ("archive/" or "pytorch_model/"); find it through its data.pkl.
std::string archive_prefix(const std::map<std::string, ZipEntry>& entries, const std::string& what) {
  std::string found;
  for (auto& [name, e] : entries) {
    auto slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      check(found.empty(), "{}: archive holds more than one data.pkl", what);
      found = name.substr(0, slash);
    }
  }
  check(!found.empty(), "{}: not a PyTorch checkpoint (no <name>/data.pkl in the zip archive)", what);
  return found;
}
}  // namespace

TensorMap load_pytorch_bin_bytes(const uint8_t* bytes, size_t size, const std::string& what,
                                 std::shared_ptr<void> holder) {
  auto entries = read_zip_directory(bytes, size, what);
  const std::string prefix = archive_prefix(entries, what);
  auto it = entries.find(prefix + "/byteorder");
  if (it != entries.end()) {
    std::string order(reinterpret_cast<const char*>(bytes + it->second.offset), it->second.size);
    check(order == "little", "{}: byteorder '{}' is not supported", what, order.substr(0, 16));
  }
  const ZipEntry& pkl = entries.at(prefix + "/data.pkl");
  auto load = [&](const std::string& key, DType dtype, uint64_t numel) {
    auto e = entries.find(prefix + "/data/" + key);
    if (e == entries.end())
      throw Error("{}: pickle refers to storage '{}' but the archive has no {}/data/{}", what, key, prefix, key);
    const uint64_t item = dtype_size(dtype);
    check(numel <= e->second.size / item && e->second.size == numel * item,
          "{}: storage '{}' holds {} bytes, but {} elements of {} need {}", what, key, e->second.size, numel,
          dtype_name(dtype), numel * item);
    return StorageRef{const_cast<uint8_t*>(bytes + e->second.offset), numel, holder};
  };
  // Strided tensors are copied; a file of N bytes may not make us allocate much more than N.
  return unpickle_state_dict(bytes + pkl.offset, pkl.size, what, load, 2 * static_cast<uint64_t>(size) + (1 << 20));
}

TensorMap load_pytorch_bin(const std::string& path) {
  auto map = map_file(path);
  return load_pytorch_bin_bytes(map->data, map->size, path, map);
}

}  // namespace qdq
