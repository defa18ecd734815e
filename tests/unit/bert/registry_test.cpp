// The model's registry names every quant point as named_modules() does for
// that exact class: the bare QDQBertModel has no "bert." prefix, each headed
// class has it. Checked against tables PyTorch wrote for the headed classes.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bert_util.h"
#include "models/model.h"
#include "quant/amax_table.h"

using namespace qdq;
using namespace bert_test;

namespace {

// The PyTorch table of the headed model, names in named_modules() order.
std::vector<std::pair<std::string, std::vector<float>>> pytorch_table(const std::string& path) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(std::ifstream(path));
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (auto& [k, v] : j.items())
    out.emplace_back(k, v.is_array() ? v.get<std::vector<float>>() : std::vector<float>{v.get<float>()});
  return out;
}

std::string strip_bert(const std::string& n) {
  REQUIRE(n.rfind("bert.", 0) == 0);
  return n.substr(5);
}

}  // namespace

TEST_CASE("bare QDQBertModel: the headed fixture's quantizer names minus 'bert.', in the same order") {
  for (const char* name : {"qdqbert-seqcls", "qdqbert-qa-from-bert"}) {
    CAPTURE(name);
    const std::string dir = fixture(name);
    const auto want = pytorch_table(dir + "/amax_max.json");
    auto headed = models::load_model(dir);
    auto bare = models::load_model(dir, {"QDQBertModel"});
    const auto& hq = headed->quant_plan().all();
    const auto& bq = bare->quant_plan().all();
    REQUIRE(hq.size() == want.size());
    REQUIRE(bq.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CHECK(hq[i]->name() == want[i].first);
      CHECK(bq[i]->name() == strip_bert(want[i].first));
    }
    // Every Linear of the registry knows the checkpoint tensor its weight came from
    // (this headed checkpoint stores "bert.*", whatever class loads it).
    for (const auto& l : bare->quant_plan().linears()) {
      CHECK(l->module.rfind("encoder.layer.", 0) == 0);
      CHECK(l->weight_key == "bert." + l->module + ".weight");
    }
  }
}

TEST_CASE("bare QDQBertModel: a table with PyTorch's bare-model names loads and runs fake quant (atol 1e-4)") {
  // qdqbert-qa-from-bert: no rounding flip in the probes (meta.json, 5e-6), so last_hidden_state of the
  // bare model must equal the headed model's recorded one to 1e-4.
  const std::string dir = fixture("qdqbert-qa-from-bert");
  quant::AmaxTable t;
  for (auto& [k, v] : pytorch_table(dir + "/amax_max.json")) t[strip_bert(k)] = v;
  auto bare = models::load_model(dir, {"QDQBertModel"});
  quant::apply_amax_table(bare->quant_plan(), t, "bare.json");
  bare->quant_plan().set_mode(quant::QuantMode::FakeQuant);
  bare->prepare();
  TensorMap in;
  TensorMap all = read_safetensors(dir + "/inputs.safetensors");
  for (const char* n : {"input_ids", "attention_mask", "token_type_ids"}) in.add(n, all.at(std::string("test.") + n));
  TensorMap got = bare->forward(in);
  TensorMap want = read_safetensors(dir + "/outputs_max.safetensors");
  CHECK(max_abs_diff(got.at("last_hidden_state"), want.at("last_hidden_state")) <= 1e-4);
  // The headed names do not fit the bare model.
  quant::AmaxTable headed;
  for (auto& [k, v] : pytorch_table(dir + "/amax_max.json")) headed[k] = v;
  CHECK_THROWS_WITH_AS(quant::apply_amax_table(bare->quant_plan(), headed, "headed.json"),
                       doctest::Contains("encoder.layer.0.attention.self.query._input_quantizer"), Error);
}
