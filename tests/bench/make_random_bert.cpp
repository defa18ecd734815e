// Writes a random bert-base-sized QDQBertForSequenceClassification checkpoint
// (config.json + model.safetensors) for scripts/bench.sh, without downloads.
// Usage: make_random_bert OUT_DIR [layers=12]. Weights N(0, 0.02) as HF's
// initializer_range, LayerNorm gamma 1 / beta 0, biases 0 (speed does not
// depend on values; the tokenizer files are copied in by bench.sh).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/error.h"
#include "io/safetensors.h"

using namespace qdq;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_random_bert OUT_DIR [layers=12]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t L = argc > 2 ? std::stoll(argv[2]) : 12, H = 768, F = 3072, V = 30522, P = 512, labels = 2;
  std::filesystem::create_directories(dir);
  std::mt19937 rng(1234);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  TensorMap m;
  auto randn = [&](const std::string& n, Shape s) {
    Tensor t(DType::F32, std::move(s));
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
    m.add(n, t);
  };
  auto fill = [&](const std::string& n, Shape s, float v) {
    Tensor t(DType::F32, std::move(s));
    std::fill_n(t.data<float>(), t.numel(), v);
    m.add(n, t);
  };
  auto linear = [&](const std::string& n, int64_t out, int64_t in) {
    randn(n + ".weight", {out, in});
    fill(n + ".bias", {out}, 0.0f);
  };
  auto ln = [&](const std::string& n) {
    fill(n + ".weight", {H}, 1.0f);
    fill(n + ".bias", {H}, 0.0f);
  };
  randn("bert.embeddings.word_embeddings.weight", {V, H});
  randn("bert.embeddings.position_embeddings.weight", {P, H});
  randn("bert.embeddings.token_type_embeddings.weight", {2, H});
  ln("bert.embeddings.LayerNorm");
  for (int64_t l = 0; l < L; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    for (const char* q : {"query", "key", "value"}) linear(p + "attention.self." + q, H, H);
    linear(p + "attention.output.dense", H, H);
    ln(p + "attention.output.LayerNorm");
    linear(p + "intermediate.dense", F, H);
    linear(p + "output.dense", H, F);
    ln(p + "output.LayerNorm");
  }
  linear("bert.pooler.dense", H, H);
  linear("classifier", labels, H);
  write_safetensors(dir + "/model.safetensors", m);
  std::ofstream(dir + "/config.json") << R"({
  "architectures": ["QDQBertForSequenceClassification"], "model_type": "qdqbert",
  "hidden_size": 768, "num_hidden_layers": )" << L << R"(, "num_attention_heads": 12,
  "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 512,
  "type_vocab_size": 2, "vocab_size": 30522, "layer_norm_eps": 1e-12, "pad_token_id": 0
})";
  std::printf("%s: random bert-base (%lld layers)\n", dir.c_str(), static_cast<long long>(L));
  return 0;
}
