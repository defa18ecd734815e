#pragma once
// PyTorch's torch.save zip format for a state dict, read with a restricted
// unpickler that only understands what torch.save writes and never executes.
#include <string>

#include "io/safetensors.h"

namespace qdq {
TensorMap load_pytorch_bin(const std::string& path);
}
