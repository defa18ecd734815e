#pragma once
// BertConfig as Hugging Face's BertConfig / QDQBertConfig reads config.json:
// every missing field takes the transformers default.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/ops.h"

namespace qdq::models::bert {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
  int64_t pad_token_id = 0;
  // Decoder use (QDQBertLMHeadModel, an EncoderDecoderModel's decoder): causal self-attention, and
  // cross-attention to an encoder when add_cross_attention.
  bool is_decoder = false;
  bool add_cross_attention = false;
  bool tie_word_embeddings = true;  // the LM head's matrix is the word embeddings (PretrainedConfig default)
  std::vector<std::string> id2label;  // index = label id; "LABEL_i" where config.json has none

  int64_t num_labels() const { return static_cast<int64_t>(id2label.size()); }
  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  kernels::Activation act() const;
};

// `where` names the source in errors (e.g. "dir/config.json").
BertConfig parse_bert_config(const nlohmann::json& j, const std::string& where);

}  // namespace qdq::models::bert
