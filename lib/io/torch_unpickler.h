#pragma once
// A restricted unpickler for the data.pkl of a torch.save'd state dict. It
// understands only the opcodes torch.save emits (protocol 2, plus the few
// protocol 4 ones that newer writers use) and only the tensor-rebuild globals;
// any other global is refused by name before anything could run (nothing is
// ever executed: globals are just tags). No recursion, and the stack, mark
// stack and memo are bounded, so hostile input costs at most linear memory.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/safetensors.h"

namespace qdq {

// The bytes behind a persistent id ('storage', <type>, key, location, numel).
struct StorageRef {
  uint8_t* data = nullptr;
  uint64_t numel = 0;
  std::shared_ptr<void> holder;  // keeps `data` alive for zero-copy views
};
// Called once per storage key; throws Error when the key has no data or the size is wrong.
using StorageLoader = std::function<StorageRef(const std::string& key, DType dtype, uint64_t numel)>;

// Returns the state dict {name: tensor} in pickle order. Contiguous, aligned
// tensors are views into their storage; others are copied, at most
// `copy_budget` bytes in total. Error "<what>: ..." on anything else.
TensorMap unpickle_state_dict(const uint8_t* bytes, size_t size, const std::string& what, const StorageLoader& load,
                              uint64_t copy_budget);

}  // namespace qdq
