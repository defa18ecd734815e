#pragma once
#include <nlohmann/json.hpp>

#include "io/checkpoint.h"

namespace qdq::models {

// Generation fields of config.json (top level; `decoder` for the ids an
// EncoderDecoderModel leaves to its decoder) overlaid by generation_config.json.
nlohmann::json generation_defaults_of(const Checkpoint& ckpt);

}  // namespace qdq::models
