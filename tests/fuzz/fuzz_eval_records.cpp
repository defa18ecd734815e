// The eval records of compare / quantize --eval (quantization/eval_set.h): any bytes, split into
// JSONL lines, either become records or raise qdq::Error; reference_kind then accepts or refuses
// the set, never anything else.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/jsonl.h"
#include "quantization/eval_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  std::vector<qdq::quantization::EvalRecord> recs;
  size_t start = 0, lineno = 0;
  while (start <= all.size()) {
    const size_t end = std::min(all.find('\n', start), all.size());
    const std::string line = all.substr(start, end - start);
    ++lineno;
    try {
      const auto j = qdq::parse_jsonl_line(line, "fuzz.jsonl", lineno);
      auto r = qdq::quantization::eval_record_from_json(j, "fuzz.jsonl:" + std::to_string(lineno));
      if (r.answers && r.answers->size() > j.dump().size()) __builtin_trap();
      recs.push_back(std::move(r));
    } catch (const qdq::Error&) {
    }
    start = end + 1;
  }
  try {
    const std::string k = qdq::quantization::reference_kind(recs);
    if (!(k.empty() || k == "label" || k == "target" || k == "answers")) __builtin_trap();
  } catch (const qdq::Error&) {
  }
  return 0;
}
