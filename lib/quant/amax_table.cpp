#include "quant/amax_table.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/strings.h"
#include "io/atomic_file.h"

namespace qdq::quant {

namespace {

const std::string kAmaxSuffix = "._amax";
const char* kMetadataKey = "__metadata__";

bool is_identity_key(const std::string& k) { return k == kModelTypeKey || k == kArchitectureKey || k == kWeightsHashKey; }

// FNV-1a 64, word-wise: each 8-byte little-endian word (then each remaining byte) is xor-ed in and
// multiplied by the FNV prime.
struct Fnv1a64 {
  uint64_t h = 14695981039346656037ull;
  void add(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, b + i, 8);
      h = (h ^ w) * 1099511628211ull;
    }
    for (; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
};

// The weight of a Linear as F32, or an undefined tensor when it is not float (int8 codes).
Tensor f32_weight(const LinearParams& l) {
  if (!l.weight.defined() || !dtype_is_float(l.weight.dtype())) return {};
  return l.weight.dtype() == DType::F32 ? l.weight : l.weight.to_f32();
}

// Identity recorded in the table vs the plan's: what differs, in words.
void check_identity(const QuantPlan& plan, const AmaxTable& t, const std::string& path, bool force) {
  auto meta = [&](const char* k) { return t.metadata.count(k) ? t.metadata.at(k) : std::string(); };
  std::vector<std::string> differs;
  const std::string type = meta(kModelTypeKey), arch = meta(kArchitectureKey), hash = meta(kWeightsHashKey);
  if (!type.empty() && !plan.model_type().empty() && type != plan.model_type())
    differs.push_back(fmt::format("model_type {}, this model is {}", type, plan.model_type()));
  if (!hash.empty()) {
    const std::string mine = weights_hash(plan);
    if (!mine.empty() && mine != hash)
      differs.push_back(fmt::format("weights {}, this model's are {}", hash, mine));
  }
  const bool arch_differs = !arch.empty() && !plan.arch().empty() && arch != plan.arch();
  if (arch_differs && differs.empty()) {
    // A sibling head class of the same checkpoint: the quantized weights are the same, so are their amax.
    spdlog::warn("{}: calibrated on {}, this model is {}; its quantized weights are the same, so the table applies",
                 path, arch, plan.arch());
    return;
  }
  if (arch_differs) differs.insert(differs.begin(), fmt::format("{}, this model is {}", arch, plan.arch()));
  if (differs.empty()) return;
  std::string what;
  for (const auto& d : differs) what += (what.empty() ? "" : "; ") + d;
  const std::string msg =
      fmt::format("{}: the amax table was calibrated on another model ({}); --force uses it anyway", path, what);
  if (!force) throw Error("{}", msg);
  spdlog::warn("{} (--force given)", msg);
}

// A table without identity: each weight quantizer's amax against its weight's max|w| per channel
// (what max calibration gives, pytorch_quantization's and ours alike).
void check_weights(const QuantPlan& plan, const AmaxTable& t, const std::string& path, bool force) {
  std::vector<std::string> partial;
  for (const auto& l : plan.linears()) {
    const TensorQuantizer* q = l->weight_quantizer;
    if (!q || !t.count(q->name())) continue;
    const auto& v = t.at(q->name());
    const Tensor w = f32_weight(*l);
    if (v.empty() || !w.defined() || w.ndim() != 2 || (q->desc().axis && *q->desc().axis != 0)) continue;
    const int64_t rows = w.dim(0), cols = w.dim(1);
    std::vector<float> m(static_cast<size_t>(rows), 0.0f);
    const float* d = w.data<float>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) m[r] = std::max(m[r], std::fabs(d[r * cols + c]));
    if (v.size() == 1) m = {*std::max_element(m.begin(), m.end())};
    if (v.size() != m.size()) continue;  // a shape apply_amax_table already refused, or cannot judge
    // amax is a float32 of the float32 max: equal but for a few ulps of rounding in a table's decimals.
    size_t differ = 0;
    for (size_t c = 0; c < m.size(); ++c)
      if (std::fabs(v[c] - m[c]) > 4 * FLT_EPSILON * std::max(std::fabs(m[c]), std::fabs(v[c]))) ++differ;
    if (differ == m.size()) {
      const std::string msg = fmt::format("{}: the amax table was calibrated on other weights ({}: {} of {} channels "
                                          "differ)",
                                          path, q->name(), differ, m.size());
      if (!force) throw Error("{}", msg);
      spdlog::warn("{} (--force given)", msg);
      return;
    }
    if (differ > 0) partial.push_back(fmt::format("{} ({} of {} channels)", q->name(), differ, m.size()));
  }
  if (!partial.empty())
    spdlog::warn("{}: {} weight amax differ from their weight's max|w| on some channels (not max calibration?): {}",
                 path, partial.size(), list_some(partial));
}

}  // namespace

std::string weights_hash(const QuantPlan& plan) {
  Fnv1a64 h;
  for (const auto& l : plan.linears()) {
    const Tensor w = f32_weight(*l);
    if (!w.defined()) return "";
    const std::string& name = l->weight_quantizer ? l->weight_quantizer->name() : l->module;
    h.add(name.data(), name.size() + 1);  // with its NUL: names cannot run into shapes
    for (int64_t d : w.shape()) h.add(&d, sizeof d);
    h.add(w.data<float>(), w.nbytes());
  }
  return fmt::format("fnv1a64:{:016x}", h.h);
}

std::map<std::string, std::string> model_identity(const QuantPlan& plan) {
  std::map<std::string, std::string> m;
  if (!plan.model_type().empty()) m[kModelTypeKey] = plan.model_type();
  if (!plan.arch().empty()) m[kArchitectureKey] = plan.arch();
  const std::string h = weights_hash(plan);
  if (!h.empty()) m[kWeightsHashKey] = h;
  return m;
}

void read_float_quantizers(const std::map<std::string, std::string>& metadata, const std::string& path,
                           AmaxTable& t) {
  auto it = metadata.find(kFloatQuantizersKey);
  if (it == metadata.end()) return;
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  check(j.is_array(), "{}: metadata '{}' must be a JSON array of quantizer names", path, kFloatQuantizersKey);
  for (auto& n : j) {
    check(n.is_string(), "{}: metadata '{}' must be a JSON array of quantizer names", path, kFloatQuantizersKey);
    const std::string name = n.get<std::string>();
    check(!t.count(name) || t.at(name).empty(), "{}: '{}' has an amax and is listed in '{}'", path, name,
          kFloatQuantizersKey);
    t[name] = {};
  }
}

AmaxTable parse_amax_json(const std::string& text, const std::string& what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  check(!j.is_discarded(), "{}: not valid JSON", what);
  check(j.is_object(), "{}: expected a JSON object {{quantizer name: amax}}", what);
  AmaxTable t;
  for (auto& [name, v] : j.items()) {
    if (name == kMetadataKey) {  // the model the table was calibrated on
      check(v.is_object(), "{}: '{}' must be an object of strings", what, kMetadataKey);
      for (auto& [k, s] : v.items()) {
        check(s.is_string(), "{}: '{}': '{}' must be a string", what, kMetadataKey, k);
        t.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    std::vector<float> vals;
    if (v.is_null()) {
      // stays in float (saw no calibration data): an empty entry
    } else if (v.is_number()) {
      vals.push_back(static_cast<float>(v.get<double>()));
    } else if (v.is_array()) {
      check(!v.empty(), "{}: '{}': empty amax list", what, name);
      for (auto& e : v) {
        check(e.is_number(), "{}: '{}': amax list entries must be numbers", what, name);
        vals.push_back(static_cast<float>(e.get<double>()));
      }
    } else {
      throw Error("{}: '{}': amax must be a number, a list of numbers or null (stays in float)", what, name);
    }
    t[name] = std::move(vals);
  }
  return t;
}

std::string amax_json_text(const AmaxTable& t, const QuantPlan* plan) {
  std::vector<std::string> order;
  if (plan)
    for (auto& q : plan->all())
      if (t.count(q->name())) order.push_back(q->name());
  for (auto& [name, v] : t)
    if (!plan || !plan->find(name)) order.push_back(name);
  auto num = [](float f) {
    check(std::isfinite(f), "amax {} cannot be written to JSON", f);
    return fmt::format("{}", f);  // shortest round-trip form of the float32
  };
  std::string out = "{";
  bool first = true;
  if (!t.metadata.empty()) {
    out += std::string("\n  \"") + kMetadataKey + "\": " + nlohmann::json(t.metadata).dump();
    first = false;
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& v = t.at(order[i]);
    out += (first ? "\n  " : ",\n  ") + nlohmann::json(order[i]).dump() + ": ";
    first = false;
    const auto* q = plan ? plan->find(order[i]) : nullptr;
    const bool as_list = v.size() > 1 || (q && q->desc().axis);
    if (v.empty()) {
      out += "null";  // stays in float
    } else if (!as_list) {
      out += num(v.at(0));
    } else {
      out += "[";
      for (size_t k = 0; k < v.size(); ++k) out += (k ? ", " : "") + num(v[k]);
      out += "]";
    }
  }
  out += first ? "}\n" : "\n}\n";
  return out;
}

std::vector<std::string> float_quantizers(const AmaxTable& t) {
  std::vector<std::string> out;
  for (auto& [name, v] : t)
    if (v.empty()) out.push_back(name);
  return out;
}

TensorMap amax_state_dict(const AmaxTable& t) {
  TensorMap m;
  for (auto& [name, v] : t) {
    if (v.empty()) continue;  // listed in the metadata below
    Shape s = v.size() == 1 ? Shape{} : Shape{static_cast<int64_t>(v.size()), 1};
    m.add(name + kAmaxSuffix, Tensor::from_vector(v, s));
  }
  for (auto& [k, v] : t.metadata) m.metadata[k] = v;
  m.metadata["format"] = "pt";
  const auto floats = float_quantizers(t);
  if (!floats.empty()) m.metadata[kFloatQuantizersKey] = nlohmann::json(floats).dump();
  return m;
}

AmaxTable load_amax_table(const std::string& path) {
  if (ends_with(path, ".json")) return parse_amax_json(read_file(path), path);
  check(ends_with(path, ".safetensors"), "{}: amax table must be .json or .safetensors", path);
  TensorMap m = read_safetensors(path);
  AmaxTable t;
  for (auto& [key, ten] : m.tensors) {
    if (!ends_with(key, kAmaxSuffix)) continue;
    check(dtype_is_float(ten.dtype()), "{}: '{}' has dtype {}, expected a float tensor", path, key,
          dtype_name(ten.dtype()));
    check(ten.numel() > 0, "{}: '{}' is empty", path, key);
    const Tensor f = ten.to_f32();
    t[key.substr(0, key.size() - kAmaxSuffix.size())] = std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
  }
  read_float_quantizers(m.metadata, path, t);
  check(!t.empty(), "{}: no '<quantizer>._amax' tensor in this file", path);
  for (auto& [k, v] : m.metadata)
    if (is_identity_key(k)) t.metadata[k] = v;
  return t;
}

void save_amax_table(const std::string& path, const AmaxTable& t, const QuantPlan& plan) {
  if (ends_with(path, ".json")) {
    write_file_atomic(path, amax_json_text(t, &plan));
  } else {
    check(ends_with(path, ".safetensors"), "{}: amax table must be written as .json or .safetensors", path);
    write_safetensors(path, amax_state_dict(t));
  }
}

AmaxTable amax_table_of(const QuantPlan& plan) {
  AmaxTable t;
  for (auto& q : plan.all())
    if (q->has_amax() || q->keeps_float()) t[q->name()] = q->amax();
  return t;
}

void apply_amax_table(QuantPlan& plan, const AmaxTable& t, const std::string& path, bool force) {
  std::vector<std::string> missing, extra;
  for (auto& q : plan.all())
    if (!t.count(q->name())) missing.push_back(q->name());
  check(missing.empty(), "{}: no amax for {} of the model's {} quantizers: {}", path, missing.size(),
        plan.all().size(), list_some(missing));
  for (auto& [name, v] : t)
    if (!plan.find(name)) extra.push_back(name);
  if (!extra.empty())
    spdlog::warn("{}: {} amax entries name no quantizer of this model (ignored): {}", path, extra.size(),
                 list_some(extra));
  // Validate everything before changing anything.
  for (auto& q : plan.all()) {
    const auto& v = t.at(q->name());
    if (v.empty()) continue;  // stays in float
    const bool per_channel = q->desc().axis.has_value();
    check(per_channel || v.size() == 1, "{}: '{}': {} amax values for a per-tensor quantizer", path, q->name(),
          v.size());
    check(!per_channel || v.size() == 1 || q->channels() == 0 || static_cast<int64_t>(v.size()) == q->channels(),
          "{}: '{}': {} amax values, the weight has {} channels", path, q->name(), v.size(), q->channels());
    bool any_positive = false;
    for (float a : v) {
      check(std::isfinite(a) && a >= 0.0f, "{}: '{}': amax {} (must be finite and positive)", path, q->name(), a);
      any_positive |= a > 0.0f;
    }
    check(any_positive, "{}: '{}': amax is zero", path, q->name());
  }
  // Then whether the table belongs to this model at all.
  if (std::any_of(t.metadata.begin(), t.metadata.end(), [](auto& kv) { return is_identity_key(kv.first); }))
    check_identity(plan, t, path, force);
  else
    check_weights(plan, t, path, force);
  std::vector<std::string> floats;
  for (auto& q : plan.all()) {
    const auto& v = t.at(q->name());
    if (v.empty()) {
      q->set_keep_float();
      floats.push_back(q->name());
    } else {
      q->set_amax(v);
    }
  }
  if (!floats.empty())
    spdlog::info("{}: {} quantizers stay in float (no calibration data): {}", path, floats.size(), list_some(floats));
}

}  // namespace qdq::quant
