#pragma once
// Reads the first and last byte of every tensor so that AddressSanitizer sees
// any view that points outside the input.
#include "io/safetensors.h"

namespace qdq::fuzz {
inline unsigned touch(const TensorMap& m) {
  unsigned acc = 0;
  for (auto& [name, t] : m.tensors) {
    if (t.nbytes() == 0) continue;
    auto* p = static_cast<const volatile unsigned char*>(t.raw());
    acc += p[0] + p[t.nbytes() - 1];
  }
  return acc;
}
}  // namespace qdq::fuzz
