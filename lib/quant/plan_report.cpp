#include "quant/plan_report.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace qdq::quant {

namespace {

std::string dtype_of(const TensorQuantizer& q) {
  const auto& d = q.desc();
  const std::string codes = fmt::format("{}{}", d.is_unsigned ? "u" : "s", d.num_bits);
  switch (q.plan().kernel) {
    case Kernel::Int8: return codes;
    case Kernel::FakeQuant: return "f32 (fake " + codes + ")";
    case Kernel::Bf16: return "bf16";
    default: return "f32";
  }
}

nlohmann::ordered_json amax_of(const TensorQuantizer& q) {
  if (!q.has_amax()) return nullptr;
  const auto& a = q.amax();
  if (a.size() == 1) return a[0];
  return {{"channels", a.size()},
          {"min", *std::min_element(a.begin(), a.end())},
          {"max", *std::max_element(a.begin(), a.end())}};
}

}  // namespace

std::map<std::string, std::string> float_reasons_of(const std::map<std::string, std::string>& md) {
  std::map<std::string, std::string> out;
  const auto it = md.find(kFloatReasonsKey);
  if (it == md.end()) return out;
  const auto j = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

nlohmann::ordered_json plan_report(const QuantPlan& plan, const std::map<std::string, std::string>& float_reasons) {
  std::set<const TensorQuantizer*> inputs, weights;
  for (const auto& l : plan.linears()) {
    inputs.insert(l->input);
    weights.insert(l->weight_quantizer);
  }
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  std::map<std::string, int64_t> counts;
  for (const auto& q : plan.all()) {
    const PointPlan& p = q->plan();
    nlohmann::ordered_json j;
    j["name"] = q->name();
    j["role"] = weights.count(q.get()) ? "linear weight" : inputs.count(q.get()) ? "linear input" : "activation";
    j["kernel"] = kernel_name(p.kernel);
    j["op"] = p.op;
    j["dtype"] = dtype_of(*q);
    j["granularity"] = q->desc().axis && q->amax().size() != 1 ? "per-channel" : "per-tensor";
    j["num_bits"] = q->desc().num_bits;
    j["amax"] = amax_of(*q);
    const auto reason = float_reasons.find(q->name());
    if (q->keeps_float() && reason != float_reasons.end()) j["note"] = reason->second;
    else if (!p.note.empty()) j["note"] = p.note;
    points.push_back(std::move(j));
    ++counts[kernel_name(p.kernel)];
  }
  nlohmann::ordered_json c = nlohmann::ordered_json::object();
  for (auto& [k, n] : counts) c[k] = n;
  return {{"quant_points", std::move(points)}, {"counts", std::move(c)}};
}

std::string plan_report_text(const nlohmann::ordered_json& r) {
  size_t w = 4;
  for (auto& p : r["quant_points"]) w = std::max(w, p["name"].get<std::string>().size());
  std::string out = fmt::format("{:<{}}  {:<13}  {:<10}  {:<13}  {:<14}  {:<11}  {}\n", "quant point", w, "role",
                                "kernel", "op", "dtype", "granularity", "amax");
  for (auto& p : r["quant_points"]) {
    std::string amax = "-";
    const auto& a = p["amax"];
    if (a.is_number()) amax = fmt::format("{:.6g}", a.get<double>());
    else if (a.is_object())
      amax = fmt::format("{} channels, {:.6g}..{:.6g}", a["channels"].get<int64_t>(), a["min"].get<double>(),
                         a["max"].get<double>());
    out += fmt::format("{:<{}}  {:<13}  {:<10}  {:<13}  {:<14}  {:<11}  {}\n", p["name"].get<std::string>(), w,
                       p["role"].get<std::string>(), p["kernel"].get<std::string>(), p["op"].get<std::string>(),
                       p["dtype"].get<std::string>(), p["granularity"].get<std::string>(), amax);
    if (p.contains("note")) out += fmt::format("{:<{}}    why: {}\n", "", w, p["note"].get<std::string>());
  }
  out += "counts:";
  for (auto& [k, n] : r["counts"].items()) out += fmt::format(" {} {}", k, n.get<int64_t>());
  return out + "\n";
}

}  // namespace qdq::quant
