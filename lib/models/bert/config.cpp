#include "models/bert/config.h"

#include "core/error.h"

namespace qdq::models::bert {

using json = nlohmann::json;

namespace {

int64_t get_int(const json& j, const char* key, int64_t def, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return def;
  check(j[key].is_number_integer(), "{}: {} must be an integer", where, key);
  return j[key].get<int64_t>();
}

std::string get_str(const json& j, const char* key, const std::string& def, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return def;
  check(j[key].is_string(), "{}: {} must be a string", where, key);
  return j[key].get<std::string>();
}

// HF: id2label wins; else num_labels (default 2) LABEL_i names.
std::vector<std::string> read_labels(const json& j, const std::string& where) {
  std::vector<std::string> labels;
  if (j.contains("id2label") && !j["id2label"].is_null()) {
    check(j["id2label"].is_object(), "{}: id2label must be an object", where);
    const json& m = j["id2label"];
    labels.resize(m.size());
    for (auto& [k, v] : m.items()) {
      size_t pos = 0;
      long long id = -1;
      try {
        id = std::stoll(k, &pos);
      } catch (const std::exception&) {
      }
      check(pos == k.size() && id >= 0 && id < static_cast<long long>(m.size()),
            "{}: id2label key '{}' is not a label id in 0..{}", where, k, m.size() - 1);
      check(v.is_string(), "{}: id2label['{}'] must be a string", where, k);
      labels[id] = v.get<std::string>();
    }
    return labels;
  }
  int64_t n = get_int(j, "num_labels", 2, where);
  check(n > 0 && n < 1'000'000, "{}: num_labels {} out of range", where, n);
  for (int64_t i = 0; i < n; ++i) labels.push_back("LABEL_" + std::to_string(i));
  return labels;
}

}  // namespace

kernels::Activation BertConfig::act() const { return kernels::activation_from_name(hidden_act); }

BertConfig parse_bert_config(const json& j, const std::string& where) {
  BertConfig c;
  c.vocab_size = get_int(j, "vocab_size", c.vocab_size, where);
  c.hidden_size = get_int(j, "hidden_size", c.hidden_size, where);
  c.num_hidden_layers = get_int(j, "num_hidden_layers", c.num_hidden_layers, where);
  c.num_attention_heads = get_int(j, "num_attention_heads", c.num_attention_heads, where);
  c.intermediate_size = get_int(j, "intermediate_size", c.intermediate_size, where);
  c.hidden_act = get_str(j, "hidden_act", c.hidden_act, where);
  c.max_position_embeddings = get_int(j, "max_position_embeddings", c.max_position_embeddings, where);
  c.type_vocab_size = get_int(j, "type_vocab_size", c.type_vocab_size, where);
  c.pad_token_id = get_int(j, "pad_token_id", c.pad_token_id, where);
  if (j.contains("layer_norm_eps") && !j["layer_norm_eps"].is_null()) {
    check(j["layer_norm_eps"].is_number(), "{}: layer_norm_eps must be a number", where);
    c.layer_norm_eps = j["layer_norm_eps"].get<float>();
  }
  auto get_bool = [&](const char* key, bool def) {
    if (!j.contains(key) || j[key].is_null()) return def;
    check(j[key].is_boolean(), "{}: {} must be true or false", where, key);
    return j[key].get<bool>();
  };
  c.is_decoder = get_bool("is_decoder", false);
  c.add_cross_attention = get_bool("add_cross_attention", false);
  c.tie_word_embeddings = get_bool("tie_word_embeddings", true);
  std::string pos = get_str(j, "position_embedding_type", "absolute", where);
  check(pos == "absolute", "{}: position_embedding_type '{}' is not supported (only absolute)", where, pos);
  c.id2label = read_labels(j, where);

  constexpr int64_t kMax = int64_t{1} << 24;  // rejects sizes that would overflow allocations
  auto positive = [&](const char* name, int64_t v) {
    check(v > 0 && v <= kMax, "{}: {} must be in 1..{} (got {})", where, name, kMax, v);
  };
  positive("vocab_size", c.vocab_size);
  positive("hidden_size", c.hidden_size);
  positive("num_hidden_layers", c.num_hidden_layers);
  positive("num_attention_heads", c.num_attention_heads);
  positive("intermediate_size", c.intermediate_size);
  positive("max_position_embeddings", c.max_position_embeddings);
  positive("type_vocab_size", c.type_vocab_size);
  check(c.num_hidden_layers <= 1024, "{}: num_hidden_layers {} is not plausible", where, c.num_hidden_layers);
  check(c.hidden_size % c.num_attention_heads == 0,
        "{}: hidden_size {} is not a multiple of num_attention_heads {}", where, c.hidden_size,
        c.num_attention_heads);
  check(c.layer_norm_eps >= 0 && c.layer_norm_eps == c.layer_norm_eps, "{}: layer_norm_eps must be >= 0", where);
  try {
    (void)c.act();
  } catch (const Error& e) {
    throw Error("{}: hidden_act '{}' is not supported ({})", where, c.hidden_act, e.what());
  }
  return c;
}

}  // namespace qdq::models::bert
