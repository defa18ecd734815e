#include "quant/int8_checkpoint.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/strings.h"
#include "io/atomic_file.h"

namespace qdq::quant {

namespace fs = std::filesystem;

namespace {

const char* kFormatKey = "qdqrt.quantized";
const char* kVersion = "1";

// The scales of one weight quantizer: max_bound / amax per channel (1 value or rows).
std::vector<float> scales_of(const std::vector<float>& amax, float max_bound) {
  std::vector<float> s(amax.size());
  for (size_t c = 0; c < amax.size(); ++c) s[c] = quant_scale(amax[c], max_bound);
  return s;
}

}  // namespace

void write_int8_model(const std::string& src_dir, const QuantPlan& plan, const std::vector<Int8Weight>& weights,
                      const TensorMap& other_weights, const std::string& out_dir, const std::string& how,
                      const std::string& arch, const std::map<std::string, std::string>& extra_metadata) {
  TensorMap out;
  for (const auto& iw : weights) {
    const std::string& name = iw.key;
    const Tensor& w = iw.weight;
    check(iw.quantizer != nullptr && ends_with(name, ".weight"), "{}: '{}' is not a quantized Linear weight",
          src_dir, name);
    const TensorQuantizer& q = *iw.quantizer;
    const std::string* qname = &q.name();
    check(q.has_amax(), "{}: quantizer '{}' has no amax", src_dir, *qname);
    check(w.ndim() == 2 && w.dtype() == DType::F32, "{}: weight '{}' must be F32 [out, in], got {} {}", src_dir,
          name, dtype_name(w.dtype()), shape_str(w.shape()));
    check(q.desc().num_bits == 8 && !q.desc().is_unsigned, "{}: '{}': only signed 8-bit weights are written as I8",
          src_dir, *qname);
    check(!q.desc().axis || *q.desc().axis == 0, "{}: '{}': per-channel weights must use axis 0", src_dir, *qname);
    const int64_t rows = w.dim(0), cols = w.dim(1);
    const auto& amax = q.amax();
    check(amax.size() == 1 || static_cast<int64_t>(amax.size()) == rows,
          "{}: '{}': {} amax values for a weight of {} rows", src_dir, *qname, amax.size(), rows);
    const QuantBounds b = quant_bounds(8, false, q.desc().narrow_range);
    const auto scales = scales_of(amax, b.max_bound);
    Tensor qt(DType::I8, w.shape()), st(DType::F32, {rows});
    const float* src = w.data<float>();
    int8_t* dst = qt.data<int8_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const float s = scales[amax.size() == 1 ? 0 : r];
      for (int64_t c = 0; c < cols; ++c) dst[r * cols + c] = static_cast<int8_t>(quant_code(src[r * cols + c], s, b));
      st.data<float>()[r] = amax[amax.size() == 1 ? 0 : r] / b.max_bound;
    }
    out.add(name, qt);
    out.add(name.substr(0, name.size() - 7) + ".weight_scale", st);
  }
  for (const auto& name : other_weights.names) {
    check(!out.has(name), "{}: weight '{}' given twice", src_dir, name);
    out.add(name, other_weights.at(name));
  }
  std::vector<std::string> floats;
  for (auto& q : plan.all()) {
    if (q->keeps_float()) {
      floats.push_back(q->name());
      continue;
    }
    check(q->has_amax(), "{}: quantizer '{}' has no amax", src_dir, q->name());
    const auto& v = q->amax();
    const bool per_channel = q->desc().axis.has_value() && v.size() > 1;
    out.add(q->name() + "._amax",
            Tensor::from_vector(v, per_channel ? Shape{static_cast<int64_t>(v.size()), 1} : Shape{}));
  }
  out.metadata = {{"format", "pt"}, {kFormatKey, "int8"}, {"qdqrt.calibration", how}, {"qdqrt.version", kVersion}};
  // The model it was quantized from (the hash is of its F32 weights, as the calibrated table's).
  for (auto& [k, v] : model_identity(plan)) out.metadata[k] = v;
  if (!floats.empty()) out.metadata[kFloatQuantizersKey] = nlohmann::json(floats).dump();
  for (auto& [k, v] : extra_metadata) out.metadata.emplace(k, v);

  AtomicDir dir(out_dir);
  const fs::path tmp = dir.tmp_dir();
  check(fs::is_regular_file(fs::path(src_dir) / "config.json"), "{}: no config.json", src_dir);
  {
    std::string config = read_file((fs::path(src_dir) / "config.json").string());
    if (!arch.empty()) {
      auto j = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
      check(j.is_object(), "{}/config.json: not a JSON object", src_dir);
      if (!j.contains("architectures") || j["architectures"] != nlohmann::json::array({arch})) {
        j["architectures"] = nlohmann::json::array({arch});
        config = j.dump(2) + "\n";
      }
    }
    write_file_atomic((tmp / "config.json").string(), config);
  }
  for (const char* f : {"vocab.txt", "prophetnet.tokenizer", "tokenizer.json", "tokenizer_config.json",
                        "special_tokens_map.json", "generation_config.json"}) {
    const fs::path p = fs::path(src_dir) / f;
    if (fs::is_regular_file(p)) write_file_atomic((tmp / f).string(), read_file(p.string()));
  }
  write_safetensors((tmp / "model.safetensors").string(), out);
  dir.commit();
}

bool is_int8_checkpoint(const Checkpoint& ck) {
  if (ck.weights.metadata.count(kFormatKey)) return true;
  for (auto& [n, t] : ck.weights.tensors)
    if (t.dtype() == DType::I8) return true;
  return false;
}

AmaxTable take_int8_amax(Checkpoint& ck) {
  const std::string& file = ck.weights_file.empty() ? ck.dir : ck.weights_file;
  const auto& md = ck.weights.metadata;
  auto meta = [&](const char* k) { return md.count(k) ? md.at(k) : std::string(); };
  check(md.count(kFormatKey), "{}: int8 weights without qdqrt metadata ({} missing)", file, kFormatKey);
  check(meta(kFormatKey) == "int8", "{}: {} is '{}', expected 'int8'", file, kFormatKey, meta(kFormatKey));
  check(meta("qdqrt.version") == kVersion, "{}: qdqrt.version '{}' is not supported (expected {})", file,
        meta("qdqrt.version"), kVersion);
  AmaxTable table;
  TensorMap rest;
  rest.metadata = md;
  for (const auto& name : ck.weights.names) {
    const Tensor& t = ck.weights.at(name);
    if (ends_with(name, "._amax")) {
      check(dtype_is_float(t.dtype()) && t.numel() > 0, "{}: '{}' must be a non-empty float tensor", file, name);
      const Tensor f = t.to_f32();
      table[name.substr(0, name.size() - 6)] = std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
    } else if (!ends_with(name, ".weight_scale")) {
      rest.add(name, t);
    }
  }
  read_float_quantizers(md, file, table);
  ck.weights = std::move(rest);
  return table;
}

Tensor dequantize_weight(const Tensor& codes, const std::vector<float>& amax, const std::string& what) {
  check(codes.dtype() == DType::I8 && codes.ndim() == 2, "{}: expected I8 [out, in] codes, got {} {}", what,
        dtype_name(codes.dtype()), shape_str(codes.shape()));
  const int64_t rows = codes.dim(0), cols = codes.dim(1);
  check(amax.size() == 1 || static_cast<int64_t>(amax.size()) == rows, "{}: {} amax values for {} rows", what,
        amax.size(), rows);
  for (float a : amax) check(std::isfinite(a) && a >= 0.0f, "{}: bad amax {}", what, a);
  // Signed 8-bit, as written; narrow range only changes the clamp, not the scale.
  const auto scales = scales_of(amax, 127.0f);
  Tensor f(DType::F32, codes.shape());
  const int8_t* q = codes.data<int8_t>();
  float* d = f.data<float>();
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r) {
    const float s = scales[amax.size() == 1 ? 0 : r];
    for (int64_t c = 0; c < cols; ++c) d[r * cols + c] = dequant_code(static_cast<float>(q[r * cols + c]), s);
  }
  return f;
}

}  // namespace qdq::quant
