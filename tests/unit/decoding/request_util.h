#pragma once
// What the decoding tests share: a model as its Generative interface, and a decoding request from a
// fixture's [B, L] ids and mask tensors.
#include <string>

#include "decoding/generate.h"
#include "io/safetensors.h"
#include "models/generative.h"
#include "models/model.h"

namespace qdq::test {

inline models::Generative& gen(models::Model& m) { return dynamic_cast<models::Generative&>(m); }

inline decoding::Request request(const TensorMap& in, const std::string& ids, const std::string& mask) {
  decoding::Request r;
  r.src = in.at(ids).to_i64_vector();
  r.mask = in.at(mask).to_i64_vector();
  r.B = in.at(ids).dim(0);
  r.L = in.at(ids).dim(1);
  return r;
}

}  // namespace qdq::test
