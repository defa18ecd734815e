#include "io/safetensors.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"

namespace qdq {

using json = nlohmann::json;

const Tensor& TensorMap::at(const std::string& n) const {
  auto it = tensors.find(n);
  if (it == tensors.end()) throw Error("missing tensor '{}'", n);
  return it->second;
}

void TensorMap::add(const std::string& n, Tensor t) {
  if (!tensors.count(n)) names.push_back(n);
  tensors[n] = std::move(t);
}

TensorMap parse_safetensors(const uint8_t* bytes, size_t size, const std::string& what,
                            std::shared_ptr<void> holder) {
  check(size >= 8, "{}: not a safetensors file: {} bytes, shorter than the 8-byte header length", what, size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  check(n <= kSafetensorsMaxHeader, "{}: safetensors header length {} exceeds the {} byte limit", what, n,
        kSafetensorsMaxHeader);
  check(n <= size - 8, "{}: safetensors header length {} runs past the end of the file ({} bytes)", what, n, size);
  json h;
  try {
    h = json::parse(bytes + 8, bytes + 8 + n);
  } catch (const json::exception& e) {
    throw Error("{}: safetensors header is not valid JSON ({})", what, e.what());
  }
  check(h.is_object(), "{}: safetensors header is not a JSON object", what);
  const uint8_t* data = bytes + 8 + n;
  const uint64_t data_size = size - 8 - n;

  TensorMap m;
  struct Range { uint64_t b, e; std::string name; };
  std::vector<Range> ranges;
  for (auto& [name, v] : h.items()) {
    if (name == "__metadata__") {
      check(v.is_object(), "{}: __metadata__ must be an object of strings", what);
      for (auto& [k, s] : v.items()) {
        check(s.is_string(), "{}: __metadata__ value for '{}' is not a string", what, k);
        m.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    check(v.is_object(), "{}: tensor '{}': entry is not an object", what, name);
    check(v.contains("dtype") && v["dtype"].is_string(), "{}: tensor '{}': missing dtype", what, name);
    auto dt = dtype_from_name(v["dtype"].get<std::string>());
    check(dt.has_value(), "{}: tensor '{}': unknown dtype '{}'", what, name, v["dtype"].get<std::string>());
    check(v.contains("shape") && v["shape"].is_array(), "{}: tensor '{}': missing shape", what, name);
    Shape shape;
    uint64_t numel = 1;
    for (auto& d : v["shape"]) {
      check(d.is_number_unsigned(), "{}: tensor '{}': shape entries must be non-negative integers", what, name);
      uint64_t x = d.get<uint64_t>();
      check(x < (1ull << 40) && (x == 0 || numel <= (1ull << 48) / x), "{}: tensor '{}': shape too large", what,
            name);
      numel *= x;
      shape.push_back(static_cast<int64_t>(x));
    }
    auto& off = v["data_offsets"];
    check(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
          "{}: tensor '{}': data_offsets must be two non-negative integers", what, name);
    uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    check(b <= e, "{}: tensor '{}': data_offsets [{}, {}] are reversed", what, name, b, e);
    check(e <= data_size, "{}: tensor '{}': data_offsets [{}, {}] run past the end of the data ({} bytes)", what,
          name, b, e, data_size);
    check(e - b == numel * dtype_size(*dt), "{}: tensor '{}': {} bytes in data_offsets but shape {} x {} needs {}",
          what, name, e - b, shape_str(shape), dtype_name(*dt), numel * dtype_size(*dt));
    ranges.push_back({b, e, name});
    void* p = const_cast<uint8_t*>(data + b);
    Tensor t = Tensor::borrow(*dt, std::move(shape), p, holder);
    // A header not padded to 8 bytes leaves views misaligned for their dtype: copy those.
    if (reinterpret_cast<uintptr_t>(p) % dtype_size(*dt) != 0) t = t.clone();
    m.tensors[name] = std::move(t);
  }
  std::sort(ranges.begin(), ranges.end(), [](auto& x, auto& y) { return x.b < y.b || (x.b == y.b && x.e < y.e); });
  for (size_t i = 1; i < ranges.size(); ++i)
    check(ranges[i].b >= ranges[i - 1].e, "{}: tensors '{}' and '{}' have overlapping data ranges", what,
          ranges[i - 1].name, ranges[i].name);
  for (auto& r : ranges) m.names.push_back(r.name);
  return m;
}

TensorMap read_safetensors(const std::string& path) {
  auto map = map_file(path);
  return parse_safetensors(map->data, map->size, path, map);
}

TensorMap read_tensors_arg(const std::string& arg) {
  std::string path = arg, group;
  auto colon = arg.rfind(':');
  if (colon != std::string::npos && !std::filesystem::exists(arg)) {
    path = arg.substr(0, colon);
    group = arg.substr(colon + 1);
  }
  TensorMap all = read_safetensors(path);
  if (group.empty()) return all;
  TensorMap m;
  m.metadata = all.metadata;
  const std::string prefix = group + ".";
  for (auto& n : all.names)
    if (n.compare(0, prefix.size(), prefix) == 0) m.add(n.substr(prefix.size()), all.tensors[n]);
  check(!m.names.empty(), "{}: no tensors in group '{}'", path, group);
  return m;
}

std::string serialize_safetensors(const TensorMap& m) {
  std::vector<std::string> order = m.names;
  if (order.empty())
    for (auto& [n, t] : m.tensors) order.push_back(n);
  json h = json::object();
  uint64_t off = 0;
  for (auto& n : order) {
    const Tensor& t = m.at(n);
    h[n] = {{"dtype", std::string(dtype_name(t.dtype()))}, {"shape", t.shape()},
            {"data_offsets", {off, off + t.nbytes()}}};
    off += t.nbytes();
  }
  if (!m.metadata.empty()) h["__metadata__"] = m.metadata;
  std::string hs = h.dump();
  hs.append((8 - hs.size() % 8) % 8, ' ');  // align the data to 8 bytes, as the reference writer does
  std::string out(8, '\0');
  uint64_t n = hs.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += hs;
  out.reserve(out.size() + off);
  for (auto& n2 : order) {
    const Tensor& t = m.at(n2);
    out.append(static_cast<const char*>(t.raw()), t.nbytes());
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& m) {
  write_file_atomic(path, serialize_safetensors(m));
}

}  // namespace qdq
