#pragma once
// Helpers shared by the quant tests: fixture paths and tensor access.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/safetensors.h"

namespace qdqtest {

inline std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/" + rel; }
inline nlohmann::json load_json(const std::string& path) { return nlohmann::json::parse(qdq::read_file(path)); }
inline std::vector<float> values(const qdq::Tensor& t) {
  const qdq::Tensor f = t.to_f32();
  return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}
inline bool close_rel(double a, double b, double rel) {
  return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b));
}

}  // namespace qdqtest
