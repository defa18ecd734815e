#include "models/input_info.h"

#include <algorithm>

namespace qdq::models {

namespace {
std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
int64_t num(const nlohmann::json& j, const char* key, int64_t def) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : def;
}
bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}
}  // namespace

std::string arch_of(const nlohmann::json& config, const std::string& arch_override) {
  if (!arch_override.empty()) return arch_override;
  if (config.is_object() && config.contains("architectures") && config["architectures"].is_array() &&
      !config["architectures"].empty() && config["architectures"][0].is_string())
    return config["architectures"][0].get<std::string>();
  return "";
}

TextKind text_kind(const nlohmann::json& config, const std::string& arch) {
  const std::string type = str(config, "model_type");
  if (type == "prophetnet" || type == "encoder-decoder") return TextKind::Single;
  if (ends_with(arch, "ForMultipleChoice")) return TextKind::Choices;
  if (ends_with(arch, "ForQuestionAnswering")) return TextKind::QuestionContext;
  return TextKind::Pair;
}

int64_t max_input_tokens(const nlohmann::json& config, int64_t model_max_length) {
  const std::string type = str(config, "model_type");
  if (type == "encoder-decoder" && config.contains("encoder")) return max_input_tokens(config["encoder"], model_max_length);
  const int64_t positions = num(config, "max_position_embeddings", 512);
  if (type == "prophetnet") return std::max<int64_t>(1, positions - 1);
  int64_t n = std::min<int64_t>(512, positions);
  if (model_max_length > 0) n = std::min(n, model_max_length);
  return n;
}

}  // namespace qdq::models
