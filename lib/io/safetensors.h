#pragma once
// safetensors: 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the data. Read by mmap (tensors are views into the mapping, no copy),
// every field validated; written atomically.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace qdq {

struct TensorMap {
  std::vector<std::string> names;  // file order (by data offset)
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;

  bool has(const std::string& n) const { return tensors.count(n) != 0; }
  const Tensor& at(const std::string& n) const;  // Error naming the tensor when missing
  void add(const std::string& n, Tensor t);      // keeps insertion order in names
};

// Largest header accepted (the format's reference implementation uses 100 MB).
constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

// Parses and validates a whole safetensors image held in memory. `what` names
// the source in error messages. Tensors point into `bytes` (kept alive by holder).
TensorMap parse_safetensors(const uint8_t* bytes, size_t size, const std::string& what,
                            std::shared_ptr<void> holder);

// mmap + parse_safetensors. Error "<path>: ..." on any problem.
TensorMap read_safetensors(const std::string& path);

// `path[:GROUP]`: with a group, only tensors named "GROUP.x" are kept, renamed to "x".
TensorMap read_tensors_arg(const std::string& path_and_group);

// Serialises tensors in the given order (or sorted by name when order is empty).
std::string serialize_safetensors(const TensorMap& m);
void write_safetensors(const std::string& path, const TensorMap& m);

}  // namespace qdq
