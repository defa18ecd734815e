// A checkpoint directory's config.json through load_config, then weights (a
// safetensors image) handed out by WeightStore with shapes taken from that
// config. Input: config text, two NUL bytes, safetensors bytes.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "io/checkpoint.h"

namespace {
const std::string& scratch_dir() {
  static const std::string d = [] {
    auto p = std::filesystem::temp_directory_path() / ("qdqrt_fuzz_config_" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return d;
}

// A small positive integer from the config, or -1.
int64_t small_int(const nlohmann::json& c, const char* key, int64_t max) {
  auto it = c.find(key);
  if (it == c.end() || !it->is_number_integer()) return -1;
  int64_t v = it->get<int64_t>();
  return v > 0 && v <= max ? v : -1;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  size_t sep = in.find(std::string("\0\0", 2));
  const std::string config = in.substr(0, sep);
  std::vector<uint8_t> weights;
  if (sep != std::string::npos) weights.assign(data + sep + 2, data + size);
  try {
    {  // plain write: no fsync per execution
      std::ofstream f(scratch_dir() + "/config.json", std::ios::binary | std::ios::trunc);
      f << config;
    }
    qdq::Checkpoint ck;
    ck.dir = scratch_dir();
    ck.config = qdq::load_config(scratch_dir());
    ck.weights_file = "fuzz.safetensors";
    ck.weights = qdq::parse_safetensors(weights.data(), weights.size(), ck.weights_file, nullptr);
    qdq::WeightStore ws(ck, {"bert.", "prophetnet."});
    const int64_t hidden = small_int(ck.config, "hidden_size", 4096);
    const int64_t vocab = small_int(ck.config, "vocab_size", 1 << 16);
    const int64_t layers = small_int(ck.config, "num_hidden_layers", 8);
    if (hidden > 0 && vocab > 0) ws.take("embeddings.word_embeddings.weight", {vocab, hidden});
    if (hidden > 0) {
      ws.take_optional("embeddings.LayerNorm.weight", {hidden});
      ws.take_optional("pooler.dense.weight", {hidden, hidden});
      for (int64_t i = 0; i < layers; ++i)
        ws.take("encoder.layer." + std::to_string(i) + ".output.dense.bias", {hidden});
    }
    ws.ignore_prefix("cls.");
    ws.finish();
  } catch (const qdq::Error&) {
  }
  return 0;
}
