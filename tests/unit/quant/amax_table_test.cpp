#include <doctest/doctest.h>

#include <cstdio>
#include <unistd.h>

#include <filesystem>

#include "quant/amax_table.h"
#include "test_util.h"

using namespace qdq;
using namespace qdq::quant;

namespace {

bool is_weight(const std::string& n) { return n.find("_weight_quantizer") != std::string::npos; }

void build_plan(QuantPlan& plan, const AmaxTable& t) {
  for (auto& [name, v] : t) {
    auto& q = plan.add(name, is_weight(name) ? weight_desc() : input_desc());
    if (is_weight(name)) q.set_channels(static_cast<int64_t>(v.size()));
  }
}

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("qdqrt_quant_test_" + std::to_string(::getpid()) + name)).string();
}

}  // namespace

TEST_CASE("state dicts written by PyTorch load to the same table as amax_max.json") {
  for (const auto& dir_file : {std::pair{"qdqbert-seqcls", "calib_max_state_dict.safetensors"},
                               std::pair{"qdqbert-qa-from-bert", "calib_max_amax_buffers.safetensors"}}) {
    const auto [dir, file] = dir_file;
    const std::string dir_name = dir;  // clang 14 cannot capture a structured binding in CAPTURE's lambda
    CAPTURE(dir_name);
    const AmaxTable want = load_amax_table(qdqtest::fixture(std::string(dir) + "/amax_max.json"));
    const AmaxTable got = load_amax_table(qdqtest::fixture(std::string(dir) + "/" + file));
    CHECK(want.size() == 40);
    CHECK(got == want);  // exact: both are the same float32 values
  }
}

TEST_CASE("JSON and safetensors round trips are exact") {
  const AmaxTable t = load_amax_table(qdqtest::fixture("qdqbert-seqcls/amax_hist_entropy.json"));
  QuantPlan plan;
  build_plan(plan, t);
  const std::string j = tmp_path("a.json"), s = tmp_path("a.safetensors");
  save_amax_table(j, t, plan);
  save_amax_table(s, t, plan);
  CHECK(load_amax_table(j) == t);
  CHECK(load_amax_table(s) == t);
  // Shapes as pytorch_quantization stores them.
  TensorMap m = read_safetensors(s);
  CHECK(m.at("bert.encoder.layer.0.attention.self.query._input_quantizer._amax").shape() == Shape{});
  CHECK(m.at("bert.encoder.layer.0.attention.self.query._weight_quantizer._amax").shape() == Shape{64, 1});
  std::remove(j.c_str());
  std::remove(s.c_str());
  // Shortest round-trip decimal of the float32.
  CHECK(amax_json_text({{"a", {0.1f}}}, nullptr) == "{\n  \"a\": 0.1\n}\n");
  CHECK(parse_amax_json(amax_json_text({{"a", {6.275527f, 1e-30f}}}, nullptr), "x").at("a") ==
        std::vector<float>{6.275527f, 1e-30f});
}

TEST_CASE("apply_amax_table validates") {
  const AmaxTable good = {{"x._input_quantizer", {2.0f}}, {"x._weight_quantizer", {1.0f, 0.0f, 3.0f}}};
  auto fresh = [](QuantPlan& p) {
    p.add("x._input_quantizer", input_desc());
    p.add("x._weight_quantizer", weight_desc()).set_channels(3);
  };
  {
    QuantPlan p;
    fresh(p);
    AmaxTable t = good;
    t["unknown._input_quantizer"] = {1.0f};  // a warning only
    apply_amax_table(p, t, "t.json");
    CHECK(p.find("x._weight_quantizer")->amax() == std::vector<float>{1.0f, 0.0f, 3.0f});
  }
  auto fails = [&](AmaxTable t, const char* what) {
    QuantPlan p;
    fresh(p);
    CHECK_THROWS_WITH_AS(apply_amax_table(p, t, "t.json"), doctest::Contains(what), Error);
    CHECK(!p.find("x._input_quantizer")->has_amax());  // nothing applied on error
  };
  AmaxTable t = good;
  t.erase("x._input_quantizer");
  fails(t, "no amax for 1");
  t = good;
  t["x._input_quantizer"] = {0.0f};
  fails(t, "amax is zero");
  t["x._input_quantizer"] = {-1.0f};
  fails(t, "must be finite and positive");
  t["x._input_quantizer"] = {std::nanf("")};
  fails(t, "must be finite and positive");
  t["x._input_quantizer"] = {INFINITY};
  fails(t, "must be finite and positive");
  t = good;
  t["x._weight_quantizer"] = {1.0f, 2.0f};
  fails(t, "the weight has 3 channels");
  t["x._weight_quantizer"] = {0.0f, 0.0f, 0.0f};
  fails(t, "amax is zero");
  t = good;
  t["x._input_quantizer"] = {1.0f, 2.0f};
  fails(t, "per-tensor");
}

TEST_CASE("parse_amax_json rejects malformed tables") {
  CHECK_THROWS_WITH_AS(parse_amax_json("{", "t.json"), doctest::Contains("t.json: not valid JSON"), Error);
  CHECK_THROWS_AS(parse_amax_json("[1]", "t.json"), Error);
  CHECK_THROWS_AS(parse_amax_json("{\"a\": \"1\"}", "t.json"), Error);
  CHECK_THROWS_AS(parse_amax_json("{\"a\": []}", "t.json"), Error);
  CHECK_THROWS_AS(parse_amax_json("{\"a\": [1, null]}", "t.json"), Error);
  CHECK_THROWS_AS(parse_amax_json("{\"a\": 1e400}", "t.json"), Error);  // out of double range
  CHECK_THROWS_AS(load_amax_table("table.txt"), Error);
}
