#pragma once
// Checks of a model input batch that come from outside (a --tensors-in file),
// made before any forward: NaN / Inf in float inputs and token ids outside the
// vocabulary would silently poison every amax, or index past the embeddings.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "io/safetensors.h"

namespace qdq::pipelines {

// The vocabulary an input's ids must lie in, from config.json: `decoder_input_ids` the
// decoder's, other *input_ids the encoder's (an encoder-decoder's nested configs), else
// vocab_size; 0 = unknown (not checked).
int64_t vocab_size_for(const nlohmann::json& config, const std::string& input_name);

// Error "<where>: '<name>' holds ..." for a non-finite float or an id outside [0, vocab).
void validate_batch(const TensorMap& b, const std::string& where, const nlohmann::json& config);

// Rows of a batch (input_ids, decoder_input_ids or inputs_embeds; else the first tensor's).
int64_t batch_rows(const TensorMap& b);

}  // namespace qdq::pipelines
