// parse_safetensors on arbitrary bytes: only qdq::Error may escape, and every
// tensor it returns must lie inside the input.
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_touch.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so ASan flags any read past the end.
  std::vector<uint8_t> buf(data, data + size);
  try {
    qdq::TensorMap m = qdq::parse_safetensors(buf.data(), buf.size(), "fuzz.safetensors", nullptr);
    qdq::fuzz::touch(m);
    std::string again = qdq::serialize_safetensors(m);  // what we accept we can write back
    qdq::TensorMap r = qdq::parse_safetensors(reinterpret_cast<const uint8_t*>(again.data()), again.size(), "again",
                                              nullptr);
    if (r.names.size() != m.names.size()) __builtin_trap();
  } catch (const qdq::Error&) {
  }
  return 0;
}
