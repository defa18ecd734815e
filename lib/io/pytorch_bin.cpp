#include "io/pytorch_bin.h"

#include "core/error.h"

namespace qdq {
// Placeholder until the zip reader and restricted unpickler land.
TensorMap load_pytorch_bin(const std::string& path) { throw Error("{}: pytorch_model.bin loading not implemented yet", path); }
}  // namespace qdq
