// Writes a random ProphetNetForConditionalGeneration checkpoint of
// prophetnet-large's shape (or smaller, by flags) plus benchmark inputs, for
// scripts/bench_generate.sh. Weights ~ U(-0.05, 0.05), LayerNorm gamma 1 /
// beta 0: speed does not depend on the values.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "io/safetensors.h"

using namespace qdq;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [hidden layers heads ffn]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t H = argc > 2 ? std::atol(argv[2]) : 1024, NL = argc > 3 ? std::atol(argv[3]) : 12,
                NH = argc > 4 ? std::atol(argv[4]) : 16, F = argc > 5 ? std::atol(argv[5]) : 4096, V = 30522,
                P = 512, NB = 32;
  std::filesystem::create_directories(dir);
  nlohmann::json cfg{{"architectures", {"ProphetNetForConditionalGeneration"}},
                     {"model_type", "prophetnet"}, {"vocab_size", V}, {"hidden_size", H},
                     {"encoder_ffn_dim", F}, {"decoder_ffn_dim", F}, {"num_encoder_layers", NL},
                     {"num_decoder_layers", NL}, {"num_encoder_attention_heads", NH},
                     {"num_decoder_attention_heads", NH}, {"max_position_embeddings", P}, {"ngram", 2},
                     {"num_buckets", NB}, {"relative_max_distance", 128}, {"pad_token_id", 0},
                     {"bos_token_id", 102}, {"eos_token_id", 102}, {"decoder_start_token_id", 102},
                     {"activation_function", "gelu"}, {"add_cross_attention", true}, {"eps", 0.0}};
  std::ofstream(dir + "/config.json") << cfg.dump(2);
  uint64_t state = 0x2545F4914F6CDD1DULL;
  auto rnd = [&](Shape s) {
    Tensor t(DType::F32, std::move(s));
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      p[i] = (static_cast<float>(state >> 40) / 16777216.0f - 0.5f) * 0.1f;
    }
    return t;
  };
  auto fill = [](Shape s, float v) {
    Tensor t(DType::F32, std::move(s));
    std::fill(t.data<float>(), t.data<float>() + t.numel(), v);
    return t;
  };
  TensorMap w;
  auto lin = [&](const std::string& n, int64_t o, int64_t i) {
    w.add(n + ".weight", rnd({o, i}));
    w.add(n + ".bias", rnd({o}));
  };
  auto ln = [&](const std::string& n) {
    w.add(n + ".weight", fill({H}, 1.0f));
    w.add(n + ".bias", fill({H}, 0.0f));
  };
  auto attn = [&](const std::string& n) {
    for (const char* p : {"key_proj", "value_proj", "query_proj", "out_proj"}) lin(n + "." + p, H, H);
  };
  w.add("prophetnet.word_embeddings.weight", rnd({V, H}));
  for (const char* side : {"encoder", "decoder"}) {
    std::string m = std::string("prophetnet.") + side;
    w.add(m + ".position_embeddings.weight", rnd({P, H}));
    ln(m + ".embeddings_layer_norm");
    if (std::string(side) == "decoder") w.add(m + ".ngram_embeddings.weight", rnd({2, H}));
    for (int64_t l = 0; l < NL; ++l) {
      std::string p = m + ".layers." + std::to_string(l);
      attn(p + ".self_attn");
      ln(p + ".self_attn_layer_norm");
      if (std::string(side) == "decoder") {
        lin(p + ".self_attn.relative_pos_embeddings", NB * NH, H);
        attn(p + ".cross_attn");
        ln(p + ".cross_attn_layer_norm");
      }
      lin(p + ".feed_forward.intermediate", F, H);
      lin(p + ".feed_forward.output", H, F);
      ln(p + ".feed_forward_layer_norm");
    }
  }
  write_safetensors(dir + "/model.safetensors", w);
  // Inputs: groups b<B>_src256 (encoder-decoder) and b<B>_prompt32 (causal LM), ids in [1000, 30000);
  // calibration batches calib_causal (input_ids [4, 96]) and calib_seq2seq (+ decoder_input_ids [4, 64]).
  TensorMap in;
  auto ids_of = [&](int64_t B, int64_t L) {
    Tensor ids(DType::I64, {B, L});
    for (int64_t i = 0; i < ids.numel(); ++i) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      ids.data<int64_t>()[i] = 1000 + static_cast<int64_t>(state % 29000);
    }
    return ids;
  };
  for (int64_t B : {1, 8})
    for (auto [name, L] : {std::pair<const char*, int64_t>{"src256", 256}, {"prompt32", 32}})
      in.add("b" + std::to_string(B) + "_" + name + ".input_ids", ids_of(B, L));
  in.add("calib_causal.input_ids", ids_of(4, 96));
  in.add("calib_seq2seq.input_ids", ids_of(4, 256));
  in.add("calib_seq2seq.decoder_input_ids", ids_of(4, 64));
  write_safetensors(dir + "/inputs.safetensors", in);
  return 0;
}
