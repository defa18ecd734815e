// Quantizers that saw no calibration data stay in float: their state in
// TensorQuantizer, amax tables (JSON null / state-dict metadata) and the
// end-of-calibration table (quant/calibration_result.h).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "quant/amax_table.h"
#include "quant/calibration_result.h"
#include "quant/calibrator.h"

using namespace qdq;
using namespace qdq::quant;

namespace {
std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("qdqrt_float_q_" + std::to_string(::getpid()) + name)).string();
}
}  // namespace

TEST_CASE("a quantizer that keeps float stays Disabled under fake quant and int8, and calibrates again") {
  QuantPlan plan;
  auto& a = plan.add("a._input_quantizer", input_desc());
  auto& b = plan.add("b._input_quantizer", input_desc());
  b.set_amax({2.0f});
  a.set_keep_float();
  CHECK(a.keeps_float());
  CHECK_FALSE(a.has_amax());
  for (auto m : {QuantMode::FakeQuant, QuantMode::Int8}) {
    plan.set_mode(m);
    CHECK(a.mode() == QuantMode::Disabled);
    CHECK(b.mode() == m);
  }
  plan.set_mode(QuantMode::Calibrate);
  CHECK(a.mode() == QuantMode::Calibrate);
  // Disabled leaves the tensor as it is (no "has no amax" error).
  plan.set_mode(QuantMode::FakeQuant);
  Tensor x = Tensor::from_vector(std::vector<float>{0.123f, -1.7f}, {2});
  a.apply(x);
  CHECK(x.data<float>()[0] == 0.123f);
  a.set_amax({1.0f});  // a new amax ends the float state
  CHECK_FALSE(a.keeps_float());
}

TEST_CASE("amax tables mark float quantizers: JSON null, state-dict metadata; both round-trip") {
  QuantPlan plan;
  plan.add("x._input_quantizer", input_desc());
  plan.add("x._weight_quantizer", weight_desc()).set_channels(2);
  plan.add("y._input_quantizer", input_desc());
  const AmaxTable t = {{"x._input_quantizer", {}}, {"x._weight_quantizer", {}}, {"y._input_quantizer", {1.5f}}};
  const std::string text = amax_json_text(t, &plan);
  CHECK(text.find("\"x._input_quantizer\": null") != std::string::npos);
  CHECK(parse_amax_json(text, "t.json") == t);
  CHECK(float_quantizers(t) == std::vector<std::string>{"x._input_quantizer", "x._weight_quantizer"});

  const std::string st = tmp_path("t.safetensors");
  save_amax_table(st, t, plan);
  const TensorMap m = read_safetensors(st);
  CHECK_FALSE(m.has("x._input_quantizer._amax"));
  CHECK(m.metadata.at(kFloatQuantizersKey) == "[\"x._input_quantizer\",\"x._weight_quantizer\"]");
  CHECK(load_amax_table(st) == t);
  std::filesystem::remove(st);

  apply_amax_table(plan, t, "t.json");
  CHECK(plan.find("x._input_quantizer")->keeps_float());
  CHECK(plan.find("x._weight_quantizer")->keeps_float());
  CHECK(plan.find("y._input_quantizer")->amax() == std::vector<float>{1.5f});
  CHECK(amax_table_of(plan) == t);

  // A missing entry is still an error (a float quantizer must be marked), and so is an empty list.
  CHECK_THROWS_WITH_AS(apply_amax_table(plan, {{"y._input_quantizer", {1.0f}}}, "t.json"),
                       doctest::Contains("no amax for 2"), Error);
  CHECK_THROWS_WITH_AS(parse_amax_json("{\"a\": []}", "t.json"), doctest::Contains("empty amax list"), Error);
}

TEST_CASE("calibration_result: no-data inputs (and their module's weight) stay float; --strict fails") {
  auto make = [](QuantPlan& plan) {
    // Registered as the models register a Linear: the registry, not the name, says which
    // quantizer is a weight's.
    for (const char* m : {"ran", "never"})
      plan.add_linear(m, std::string(m) + ".weight",
                      Tensor::from_vector(std::vector<float>{0.5f, -0.25f, 2.0f, 1.0f}, {2, 2}), Tensor());
    for (auto& q : plan.all()) q->set_calibrator(make_calibrator("max", q->desc()));
    const std::vector<float> x{1.0f, -3.0f}, w{0.5f, -0.25f, 2.0f, 1.0f};
    plan.find("ran._input_quantizer")->calibrator()->collect(x.data(), {2});
    plan.find("ran._weight_quantizer")->calibrator()->collect(w.data(), {2, 2});
  };
  QuantPlan plan;
  make(plan);
  const auto r = calibration_result(plan, "max", "", /*strict=*/false);
  CHECK(r.no_data == std::vector<std::string>{"never._input_quantizer", "never._weight_quantizer"});
  CHECK(r.table.at("ran._input_quantizer") == std::vector<float>{3.0f});
  CHECK(r.table.at("ran._weight_quantizer") == std::vector<float>{0.5f, 2.0f});
  CHECK(r.table.at("never._input_quantizer").empty());
  CHECK(r.table.at("never._weight_quantizer").empty());

  QuantPlan strict;
  make(strict);
  CHECK_THROWS_WITH_AS(calibration_result(strict, "max", "", /*strict=*/true),
                       doctest::Contains("1 input quantizers saw no calibration data"), Error);
}
