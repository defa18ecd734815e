#include "quant/amax_table.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/strings.h"
#include "io/atomic_file.h"

namespace qdq::quant {

namespace {

const std::string kAmaxSuffix = "._amax";

}  // namespace

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
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& v = t.at(order[i]);
    out += (i ? ",\n  " : "\n  ") + nlohmann::json(order[i]).dump() + ": ";
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
  out += order.empty() ? "}\n" : "\n}\n";
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

void apply_amax_table(QuantPlan& plan, const AmaxTable& t, const std::string& path) {
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
