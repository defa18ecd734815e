#pragma once
// ProphetNetConfig (transformers configuration_prophetnet.py): the fields the
// forward needs, read from config.json with HF's defaults for missing ones.
#include <nlohmann/json.hpp>
#include <string>

namespace qdq::models::prophetnet {

struct Config {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 1024;
  int64_t encoder_ffn_dim = 4096, decoder_ffn_dim = 4096;
  int64_t num_encoder_layers = 12, num_decoder_layers = 12;
  int64_t num_encoder_heads = 16, num_decoder_heads = 16;
  int64_t max_position_embeddings = 512;
  int64_t ngram = 2;
  int64_t num_buckets = 32;
  int64_t relative_max_distance = 128;
  int64_t pad_token_id = 0;
  int64_t eos_token_id = 2, bos_token_id = 1, decoder_start_token_id = 0;
  bool add_cross_attention = true;
  bool disable_ngram_loss = false;
  bool tie_word_embeddings = true;
  double eps = 0.0;  // label smoothing of the loss, not a LayerNorm epsilon
  std::string activation = "gelu";
  // torch.nn.LayerNorm's default: ProphetNet never sets it (BERT's is 1e-12).
  float layer_norm_eps = 1e-5f;
};

// `what` names the file in error messages.
Config parse_config(const nlohmann::json& j, const std::string& what);

}  // namespace qdq::models::prophetnet
