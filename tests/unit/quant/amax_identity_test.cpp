// Amax tables know their model (issue 17, item 5): tables qdqrt writes carry
// the model identity and are refused on another model; tables without it
// (PyTorch's, hand-written) are checked against the weights' own max|w|; every
// fixture table (made by pytorch_quantization) still loads on its own model.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "test_util.h"

using namespace qdq;
using namespace qdq::quant;

namespace {

std::unique_ptr<models::Model> model(const std::string& dir) {
  models::LoadOptions lo;
  lo.prepare = false;
  return models::load_model(qdqtest::fixture(dir), lo);
}

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("qdqrt_identity_" + std::to_string(::getpid()) + name)).string();
}

const std::string kMc = "qdqbert-heads/multiple-choice", kNsp = "qdqbert-heads/nsp";

// The fixture's multiple-choice and NSP checkpoints share their encoder bit for bit (both made with seed
// 4100; only the head Linears, which have no quantizers, differ), so each one's table is right for the
// other's quantized weights. "Another model" here is the multiple-choice model after fine-tuning moved
// every quantized weight: each scaled by 1.25.
std::unique_ptr<models::Model> tuned_mc() {
  auto m = model(kMc);
  for (const auto& l : m->quant_plan().linears()) {
    Tensor w = l->weight.to_f32().clone();
    for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] *= 1.25f;
    l->weight = w;
  }
  return m;
}

}  // namespace

TEST_CASE("every fixture amax table (made by pytorch_quantization) loads on its own model") {
  const std::vector<std::pair<std::string, std::string>> tables = {
      {"qdqbert-seqcls", "amax_max.json"},
      {"qdqbert-seqcls", "amax_hist_entropy.json"},
      {"qdqbert-seqcls", "amax_hist_mse.json"},
      {"qdqbert-seqcls", "amax_hist_percentile99.99.json"},
      {"qdqbert-seqcls", "calib_max_state_dict.safetensors"},
      {"qdqbert-qa-from-bert", "amax_max.json"},
      {"qdqbert-qa-from-bert", "amax_hist_entropy.json"},
      {"qdqbert-qa-from-bert", "amax_hist_mse.json"},
      {"qdqbert-qa-from-bert", "amax_hist_percentile99.99.json"},
      {"qdqbert-qa-from-bert", "calib_max_amax_buffers.safetensors"},
      {kMc, "amax_max.json"},
      {kNsp, "amax_max.json"},
      {"prophetnet-quant", "amax_max.json"},
      {"prophetnet-quant", "amax_hist_percentile99.99.json"},
      {"qdqbert-decoder/lm", "../amax_max.json"},
  };
  for (const auto& [dir, file] : tables) {
    const std::string path = qdqtest::fixture(dir + "/" + file);
    CAPTURE(path);
    auto m = model(dir);
    const AmaxTable t = load_amax_table(path);
    CHECK(t.metadata.empty());  // PyTorch's tables: no identity, so the weights are what is checked
    CHECK_NOTHROW(apply_amax_table(m->quant_plan(), t, path));
  }
}

TEST_CASE("a table without identity on another model's weights: refused, named, --force overrides") {
  // Same config, same quantizer names and shapes (the shape checks pass): only the weights tell.
  auto mc = model(kMc);
  auto tuned = tuned_mc();
  const std::string path = qdqtest::fixture(kNsp + "/amax_max.json");
  const AmaxTable nsp = load_amax_table(path);
  CHECK_NOTHROW(apply_amax_table(mc->quant_plan(), nsp, path));  // the same encoder weights (see tuned_mc)
  CHECK_THROWS_WITH_AS(apply_amax_table(tuned->quant_plan(), nsp, path),
                       (path + ": the amax table was calibrated on other weights "
                               "(bert.encoder.layer.0.attention.self.query._weight_quantizer: 32 of 32 channels differ)")
                           .c_str(),
                       Error);
  CHECK_NOTHROW(apply_amax_table(tuned->quant_plan(), nsp, path, /*force=*/true));
  // Some channels off (another calibration method, a hand edit): a warning, not an error.
  AmaxTable own = load_amax_table(qdqtest::fixture(kMc + "/amax_max.json"));
  auto& w = own.at("bert.encoder.layer.1.output.dense._weight_quantizer");
  w[0] *= 0.5f;
  w[3] *= 1.01f;
  CHECK_NOTHROW(apply_amax_table(mc->quant_plan(), own, "own.json"));
  // Float rounding is no difference: a few ulps away from max|w| still agree.
  AmaxTable ulps = load_amax_table(qdqtest::fixture(kMc + "/amax_max.json"));
  for (auto& [name, v] : ulps)
    if (name.find("_weight_quantizer") != std::string::npos)
      for (auto& a : v) a = std::nextafter(a, 1e9f);
  CHECK_NOTHROW(apply_amax_table(mc->quant_plan(), ulps, "ulps.json"));
}

TEST_CASE("tables qdqrt writes carry the model identity, through JSON and the state dict; another model is refused") {
  auto nsp = model(kNsp);
  auto mc = tuned_mc();
  const auto id = model_identity(nsp->quant_plan());
  CHECK(id.at(kModelTypeKey) == "bert");
  CHECK(id.at(kArchitectureKey) == "QDQBertForNextSentencePrediction");
  CHECK(id.at(kWeightsHashKey).rfind("fnv1a64:", 0) == 0);
  CHECK(id.at(kWeightsHashKey).size() == 8 + 16);
  AmaxTable t = load_amax_table(qdqtest::fixture(kNsp + "/amax_max.json"));
  t.metadata = id;
  const std::string text = amax_json_text(t, &nsp->quant_plan());
  CHECK(text.rfind("{\n  \"__metadata__\": {", 0) == 0);
  const std::string js = tmp_path(".json"), st = tmp_path(".safetensors");
  save_amax_table(js, t, nsp->quant_plan());
  save_amax_table(st, t, nsp->quant_plan());
  for (const std::string& p : {js, st}) {
    CAPTURE(p);
    const AmaxTable back = load_amax_table(p);
    CHECK(back == t);
    CHECK(back.metadata == id);
    CHECK_NOTHROW(apply_amax_table(nsp->quant_plan(), back, p));
    const std::string want = p + ": the amax table was calibrated on another model (QDQBertForNextSentencePrediction, "
                                 "this model is QDQBertForMultipleChoice; weights " +
                             id.at(kWeightsHashKey) + ", this model's are " + weights_hash(mc->quant_plan()) +
                             "); --force uses it anyway";
    CHECK_THROWS_WITH_AS(apply_amax_table(mc->quant_plan(), back, p), want.c_str(), Error);
    CHECK_NOTHROW(apply_amax_table(mc->quant_plan(), back, p, /*force=*/true));
  }
  std::remove(js.c_str());
  std::remove(st.c_str());
  // The same quantized weights under a sibling head class (the fixture's multiple-choice model): the amax
  // are right for it, a warning only.
  auto same_encoder = model(kMc);
  CHECK(weights_hash(same_encoder->quant_plan()) == id.at(kWeightsHashKey));
  CHECK_NOTHROW(apply_amax_table(same_encoder->quant_plan(), t, "sibling.json"));
  AmaxTable other_type = t;
  other_type.metadata[kModelTypeKey] = "prophetnet";
  CHECK_THROWS_WITH_AS(apply_amax_table(nsp->quant_plan(), other_type, "t.json"),
                       doctest::Contains("(model_type prophetnet, this model is bert)"), Error);
}

TEST_CASE("weights_hash: FNV-1a 64 over names, shapes and bytes") {
  auto plan_of = [](const std::vector<float>& w, const std::string& name, Shape s) {
    auto p = std::make_unique<QuantPlan>();
    p->add_linear(name, name + ".weight", Tensor::from_vector(w, s), Tensor());
    return p;
  };
  const std::vector<float> w = {1, 2, 3, 4, 5, 6};
  const std::string h = weights_hash(*plan_of(w, "a", {2, 3}));
  CHECK(h == weights_hash(*plan_of(w, "a", {2, 3})));
  CHECK(h != weights_hash(*plan_of(w, "b", {2, 3})));
  CHECK(h != weights_hash(*plan_of(w, "a", {3, 2})));
  std::vector<float> w2 = w;
  w2[5] = std::nextafter(w2[5], 10.0f);  // one bit
  CHECK(h != weights_hash(*plan_of(w2, "a", {2, 3})));
  // int8 codes have no F32 bytes to hash: no hash (and no hash check).
  QuantPlan p8;
  p8.add_linear("a", "a.weight", Tensor(DType::I8, {2, 3}), Tensor());
  CHECK(weights_hash(p8).empty());
}

TEST_CASE("__metadata__ in JSON: an object of strings, or an error") {
  const AmaxTable t = parse_amax_json(R"({"__metadata__": {"model_type": "bert"}, "a": 1.5})", "t.json");
  CHECK(t.size() == 1);
  CHECK(t.metadata.at("model_type") == "bert");
  CHECK_THROWS_WITH_AS(parse_amax_json(R"({"__metadata__": [1], "a": 1})", "t.json"),
                       "t.json: '__metadata__' must be an object of strings", Error);
  CHECK_THROWS_WITH_AS(parse_amax_json(R"({"__metadata__": {"model_type": 3}})", "t.json"),
                       "t.json: '__metadata__': 'model_type' must be a string", Error);
}
