#pragma once
// Deterministic sampling. Each generated sequence owns a std::mt19937_64
// seeded with splitmix64(seed ^ splitmix64(stream)), where stream =
// input_index * num_return_sequences + copy, so a sequence's draws depend on
// --seed and its place in the input, never on batch size or batch order.
// A draw: u = (next() >> 11) * 2^-53 in [0, 1); the token is the first id
// whose running sum of softmax probabilities (double, id order) exceeds u.
#include <cstdint>
#include <random>

namespace qdq::decoding {

uint64_t splitmix64(uint64_t x);

class RowSampler {
 public:
  RowSampler(uint64_t seed, uint64_t stream) : g_(splitmix64(seed ^ splitmix64(stream))) {}
  // scores: processed/warped logits (-inf = excluded); returns the drawn id.
  int64_t sample(const float* scores, int64_t V);
  double uniform() { return static_cast<double>(g_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 g_;
};

}  // namespace qdq::decoding
