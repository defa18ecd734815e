#include "models/prophetnet/generation_defaults.h"

namespace qdq::models {

nlohmann::json generation_defaults_of(const Checkpoint& ckpt) {
  static const char* keys[] = {"max_length", "max_new_tokens", "min_length", "min_new_tokens", "num_beams",
                               "length_penalty", "early_stopping", "no_repeat_ngram_size", "num_return_sequences",
                               "do_sample", "temperature", "top_k", "top_p", "repetition_penalty",
                               "bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id"};
  nlohmann::json out = nlohmann::json::object();
  auto overlay = [&](const nlohmann::json& j) {
    if (!j.is_object()) return;
    for (const char* k : keys)
      if (j.contains(k) && !j[k].is_null()) out[k] = j[k];
  };
  if (ckpt.config.contains("decoder")) {
    // Only the token ids: the decoder's own max_length etc. are PretrainedConfig defaults.
    nlohmann::json ids = nlohmann::json::object();
    for (const char* k : {"bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id"})
      if (ckpt.config["decoder"].contains(k)) ids[k] = ckpt.config["decoder"][k];
    overlay(ids);
  }
  overlay(ckpt.config);
  if (ckpt.generation_config) overlay(*ckpt.generation_config);
  return out;
}

}  // namespace qdq::models
