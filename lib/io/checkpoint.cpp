#include "io/checkpoint.h"

#include <cctype>

#include <filesystem>

#include "core/error.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

#include "io/pytorch_bin.h"

namespace qdq {

namespace {
json parse_json_file(const std::string& path) {
  std::string text = read_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error("{}: not valid JSON ({})", path, e.what());
  }
}

void convert_to_f32(TensorMap& m) {
  for (auto& [n, t] : m.tensors)
    if (t.dtype() == DType::F16 || t.dtype() == DType::BF16) t = t.to_f32();
}

// Sharded checkpoints: {"weight_map": {tensor: shard file}}.
TensorMap load_sharded(const std::string& dir, const std::string& index_path, bool safetensors) {
  json idx = parse_json_file(index_path);
  check(idx.is_object() && idx.contains("weight_map") && idx["weight_map"].is_object(),
        "{}: no weight_map object", index_path);
  std::set<std::string> shards;
  for (auto& [name, file] : idx["weight_map"].items()) {
    check(file.is_string(), "{}: weight_map entry for '{}' is not a file name", index_path, name);
    std::string f = file.get<std::string>();
    check(f.find_first_of("/\\") == std::string::npos && f != ".." && f != "." && !f.empty(),
          "{}: shard name '{}' is not a plain file name", index_path, f);
    shards.insert(f);
  }
  TensorMap all;
  for (auto& s : shards) {
    std::string p = (fs::path(dir) / s).string();
    check(fs::exists(p), "{}: shard '{}' does not exist", index_path, s);
    TensorMap part = safetensors ? read_safetensors(p) : load_pytorch_bin(p);
    for (auto& n : part.names) {
      check(!all.has(n), "{}: tensor '{}' appears in two shards", index_path, n);
      all.add(n, part.tensors[n]);
    }
    for (auto& [k, v] : part.metadata) all.metadata[k] = v;
  }
  for (auto& [name, file] : idx["weight_map"].items())
    check(all.has(name), "{}: tensor '{}' is not in shard {}", index_path, name, file.get<std::string>());
  return all;
}
}  // namespace

namespace {
// "bert-base-uncased", "microsoft/prophetnet-large-uncased": what a user who knows the hub types.
bool looks_like_hub_name(const std::string& s) {
  if (s.empty() || s[0] == '.' || s[0] == '/' || s[0] == '~' || s.back() == '/') return false;
  int slashes = 0;
  for (char c : s) {
    if (c == '/') ++slashes;
    else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return slashes <= 1;
}
}  // namespace

json load_config(const std::string& dir) {
  if (!fs::exists(dir) && looks_like_hub_name(dir))
    throw Error("{}: no such directory; qdqrt reads local model directories (a Hugging Face hub name? download it "
                "first: huggingface-cli download {} --local-dir DIR, then -m DIR)",
                dir, dir);
  check(fs::exists(dir), "{}: no such directory", dir);
  check(fs::is_directory(dir), "{}: not a directory (expected a Hugging Face checkpoint directory)", dir);
  std::string p = (fs::path(dir) / "config.json").string();
  check(fs::exists(p), "{}: no config.json", dir);
  json c = parse_json_file(p);
  check(c.is_object(), "{}: config.json is not a JSON object", p);
  return c;
}

Checkpoint load_checkpoint(const std::string& dir) {
  Checkpoint ck;
  ck.dir = dir;
  ck.config = load_config(dir);
  fs::path d(dir);
  if (fs::exists(d / "generation_config.json")) ck.generation_config = parse_json_file((d / "generation_config.json").string());
  if (fs::exists(d / "model.safetensors")) {
    ck.weights_file = (d / "model.safetensors").string();
    ck.weights = read_safetensors(ck.weights_file);
  } else if (fs::exists(d / "model.safetensors.index.json")) {
    ck.weights_file = (d / "model.safetensors.index.json").string();
    ck.weights = load_sharded(dir, ck.weights_file, true);
  } else if (fs::exists(d / "pytorch_model.bin")) {
    ck.weights_file = (d / "pytorch_model.bin").string();
    ck.weights = load_pytorch_bin(ck.weights_file);
  } else if (fs::exists(d / "pytorch_model.bin.index.json")) {
    ck.weights_file = (d / "pytorch_model.bin.index.json").string();
    ck.weights = load_sharded(dir, ck.weights_file, false);
  } else {
    throw Error("{}: no weights (model.safetensors, pytorch_model.bin or a sharded *.index.json)", dir);
  }
  convert_to_f32(ck.weights);
  return ck;
}

WeightStore::WeightStore(const Checkpoint& ckpt, std::vector<std::string> prefixes)
    : ckpt_(ckpt), prefixes_(std::move(prefixes)) {
  prefixes_.insert(prefixes_.begin(), "");
}

std::optional<std::string> WeightStore::resolve(const std::string& name) const {
  for (auto& p : prefixes_)
    if (ckpt_.weights.has(p + name)) return p + name;
  // The checkpoint may carry a prefix the model does not (e.g. "bert." on a bare model's names).
  for (auto& p : prefixes_)
    if (!p.empty() && name.compare(0, p.size(), p) == 0 && ckpt_.weights.has(name.substr(p.size())))
      return name.substr(p.size());
  return std::nullopt;
}

bool WeightStore::has(const std::string& name) const { return resolve(name).has_value(); }

std::optional<Tensor> WeightStore::take_optional(const std::string& name, const Shape& shape, bool allow_int8) {
  auto r = resolve(name);
  if (!r) return std::nullopt;
  const Tensor& t = ckpt_.weights.at(*r);
  check(t.shape() == shape, "{}: weight '{}' has shape {}, the config needs {}", ckpt_.weights_file, *r,
        shape_str(t.shape()), shape_str(shape));
  check(t.dtype() == DType::F32 || (allow_int8 && t.dtype() == DType::I8), "{}: weight '{}' is {}, expected a float tensor", ckpt_.weights_file, *r,
        dtype_name(t.dtype()));
  used_.insert(*r);
  return t;
}

Tensor WeightStore::take(const std::string& name, const Shape& shape, bool allow_int8) {
  auto t = take_optional(name, shape, allow_int8);
  if (!t) throw Error("{}: missing weight '{}'", ckpt_.weights_file, name);
  return *t;
}

void WeightStore::ignore_prefix(const std::string& prefix) {
  // With each of the store's prefixes too, as resolve() looks names up.
  for (auto& p : prefixes_) {
    const std::string full = p + prefix;
    for (auto& n : ckpt_.weights.names)
      if (n.compare(0, full.size(), full) == 0) used_.insert(n);
  }
}

void WeightStore::finish() const {
  // A .bin keeps tied duplicates (lm_head.weight = word embeddings) that safetensors drops;
  // a name sharing its data with a used weight is the same weight, not an unexpected one.
  std::set<std::pair<const void*, Shape>> used_data;
  for (auto& n : used_) {
    const Tensor& t = ckpt_.weights.at(n);
    used_data.insert({t.raw(), t.shape()});
  }
  std::vector<std::string> extra;
  for (auto& n : ckpt_.weights.names) {
    const Tensor& t = ckpt_.weights.at(n);
    if (!used_.count(n) && !(t.numel() > 0 && used_data.count({t.raw(), t.shape()}))) extra.push_back(n);
  }
  if (extra.empty()) return;
  std::string list;
  for (size_t i = 0; i < extra.size() && i < 5; ++i) list += (i ? ", " : "") + extra[i];
  if (extra.size() > 5) list += fmt::format(" and {} more", extra.size() - 5);
  throw Error("{}: unexpected weight{} {}", ckpt_.weights_file, extra.size() > 1 ? "s" : "", list);
}

}  // namespace qdq
