// The .bin reader. First byte picks the mode:
//  'P': the rest is a data.pkl; storages are served as zero bytes of exactly the
//       requested size (so real torch pickles explore the unpickler fully);
//  else: the rest is a whole zip image for load_pytorch_bin_bytes.
#include <cstdint>
#include <memory>
#include <vector>

#include "fuzz_touch.h"
#include "io/pytorch_bin.h"
#include "io/torch_unpickler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> buf(data + 1, data + size);
  try {
    if (data[0] == 'P') {
      auto load = [](const std::string&, qdq::DType dtype, uint64_t numel) {
        if (numel > (1u << 20)) throw qdq::Error("fuzz: storage too large");
        auto bytes = std::make_shared<std::vector<uint8_t>>(numel * qdq::dtype_size(dtype));
        return qdq::StorageRef{bytes->data(), numel, bytes};
      };
      qdq::fuzz::touch(qdq::unpickle_state_dict(buf.data(), buf.size(), "fuzz.pkl", load, 1 << 24));
    } else {
      qdq::fuzz::touch(qdq::load_pytorch_bin_bytes(buf.data(), buf.size(), "fuzz.bin"));
    }
  } catch (const qdq::Error&) {
  }
  return 0;
}
