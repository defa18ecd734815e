#pragma once
// PyTorch's torch.save zip format for a state dict, read with a restricted
// unpickler that only understands what torch.save writes and never executes.
#include <cstdint>
#include <memory>
#include <string>

#include "io/safetensors.h"

namespace qdq {

// mmap + load_pytorch_bin_bytes: tensors are views into the mapping where possible.
TensorMap load_pytorch_bin(const std::string& path);

// The same from an image in memory; `what` names it in errors, `holder` keeps
// `bytes` alive for the returned views (may be null if the caller outlives them).
TensorMap load_pytorch_bin_bytes(const uint8_t* bytes, size_t size, const std::string& what,
                                 std::shared_ptr<void> holder = nullptr);

}  // namespace qdq
