#include "pipelines/batch_checks.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace qdq::pipelines {

int64_t vocab_size_for(const nlohmann::json& c, const std::string& input_name) {
  auto of = [](const nlohmann::json& j) -> int64_t {
    return j.is_object() && j.contains("vocab_size") && j["vocab_size"].is_number_integer()
               ? j["vocab_size"].get<int64_t>()
               : 0;
  };
  const char* part = input_name == "decoder_input_ids" ? "decoder" : "encoder";
  if (c.is_object() && c.contains(part) && of(c[part]) > 0) return of(c[part]);
  return of(c);
}

void validate_batch(const TensorMap& b, const std::string& where, const nlohmann::json& config) {
  for (const auto& name : b.names) {
    const Tensor& t = b.at(name);
    if (dtype_is_float(t.dtype())) {
      const Tensor f = t.to_f32();
      for (int64_t i = 0; i < f.numel(); ++i)
        check(std::isfinite(f.data<float>()[i]), "{}: '{}' holds NaN or Inf", where, name);
    } else if (ends_with(name, "input_ids")) {
      const int64_t vocab = vocab_size_for(config, name);
      if (vocab <= 0) continue;
      for (int64_t id : t.to_i64_vector())
        check(id >= 0 && id < vocab, "{}: '{}' holds id {} outside the vocabulary [0, {})", where, name, id, vocab);
    }
  }
}

int64_t batch_rows(const TensorMap& b) {
  for (const char* n : {"input_ids", "decoder_input_ids", "inputs_embeds"})
    if (b.has(n) && b.at(n).ndim() > 0) return b.at(n).dim(0);
  return b.names.empty() || b.at(b.names[0]).ndim() == 0 ? 1 : b.at(b.names[0]).dim(0);
}

}  // namespace qdq::pipelines
