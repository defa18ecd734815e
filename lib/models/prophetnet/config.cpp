#include "models/prophetnet/config.h"

#include "core/error.h"

namespace qdq::models::prophetnet {

namespace {
template <class T>
void get(const nlohmann::json& j, const char* key, T& out, const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return;
  try {
    out = j[key].get<T>();
  } catch (const std::exception&) {
    throw Error("{}: field '{}' has the wrong type", what, key);
  }
}
}  // namespace

Config parse_config(const nlohmann::json& j, const std::string& what) {
  check(j.is_object(), "{}: not a JSON object", what);
  Config c;
  get(j, "vocab_size", c.vocab_size, what);
  get(j, "hidden_size", c.hidden_size, what);
  get(j, "encoder_ffn_dim", c.encoder_ffn_dim, what);
  get(j, "decoder_ffn_dim", c.decoder_ffn_dim, what);
  get(j, "num_encoder_layers", c.num_encoder_layers, what);
  get(j, "num_decoder_layers", c.num_decoder_layers, what);
  get(j, "num_encoder_attention_heads", c.num_encoder_heads, what);
  get(j, "num_decoder_attention_heads", c.num_decoder_heads, what);
  get(j, "max_position_embeddings", c.max_position_embeddings, what);
  get(j, "ngram", c.ngram, what);
  get(j, "num_buckets", c.num_buckets, what);
  get(j, "relative_max_distance", c.relative_max_distance, what);
  get(j, "pad_token_id", c.pad_token_id, what);
  get(j, "eos_token_id", c.eos_token_id, what);
  get(j, "bos_token_id", c.bos_token_id, what);
  get(j, "decoder_start_token_id", c.decoder_start_token_id, what);
  get(j, "add_cross_attention", c.add_cross_attention, what);
  get(j, "disable_ngram_loss", c.disable_ngram_loss, what);
  get(j, "tie_word_embeddings", c.tie_word_embeddings, what);
  get(j, "eps", c.eps, what);
  get(j, "activation_function", c.activation, what);

  check(c.vocab_size > 0 && c.hidden_size > 0, "{}: vocab_size and hidden_size must be positive", what);
  check(c.num_encoder_heads > 0 && c.hidden_size % c.num_encoder_heads == 0,
        "{}: hidden_size {} is not a multiple of num_encoder_attention_heads {}", what, c.hidden_size,
        c.num_encoder_heads);
  check(c.num_decoder_heads > 0 && c.hidden_size % c.num_decoder_heads == 0,
        "{}: hidden_size {} is not a multiple of num_decoder_attention_heads {}", what, c.hidden_size,
        c.num_decoder_heads);
  check(c.ngram >= 1 && c.ngram <= 16, "{}: ngram {} out of range [1, 16]", what, c.ngram);
  check(c.num_buckets >= 2 && c.relative_max_distance > c.num_buckets / 2,
        "{}: num_buckets {} / relative_max_distance {} make no bucket table", what, c.num_buckets,
        c.relative_max_distance);
  check(c.max_position_embeddings >= 3, "{}: max_position_embeddings {} too small", what, c.max_position_embeddings);
  check(c.encoder_ffn_dim > 0 && c.decoder_ffn_dim > 0 && c.num_encoder_layers >= 0 && c.num_decoder_layers >= 0,
        "{}: layer counts / ffn sizes must be positive", what);
  check(c.pad_token_id >= 0 && c.pad_token_id < c.max_position_embeddings,
        "{}: pad_token_id {} is also the position padding index and must be < max_position_embeddings", what,
        c.pad_token_id);
  return c;
}

}  // namespace qdq::models::prophetnet
