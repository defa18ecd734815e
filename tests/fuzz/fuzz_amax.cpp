// libFuzzer: the JSON amax table parser must turn any bytes into a table or a
// qdq::Error, never a crash; a parsed table (nulls = float quantizers included)
// must survive its own JSON text, its "__metadata__" (the model identity) included. The same bytes as a state dict's
// "qdqrt.float_quantizers" metadata value: a list of names or a qdq::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "quant/amax_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    qdq::quant::AmaxTable floats;
    qdq::quant::read_float_quantizers({{qdq::quant::kFloatQuantizersKey, text}}, "fuzz.safetensors", floats);
    for (auto& [name, v] : floats)
      if (!v.empty()) __builtin_trap();
  } catch (const qdq::Error&) {
  }
  qdq::quant::AmaxTable t;
  try {
    t = qdq::quant::parse_amax_json(text, "fuzz.json");
  } catch (const qdq::Error&) {
    return 0;
  }
  try {
    const std::string again = qdq::quant::amax_json_text(t, nullptr);
    const qdq::quant::AmaxTable back = qdq::quant::parse_amax_json(again, "again.json");
    if (back != t || back.metadata != t.metadata) __builtin_trap();
  } catch (const qdq::Error&) {
    // Inf amax (a finite double beyond float range) cannot be written back: an Error, as documented.
  }
  return 0;
}
