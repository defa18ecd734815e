// Calibration batches from text (lib/pipelines/calibration_inputs.h) against
// the fixtures' own tokenized batches and generations, and a calibration from
// text that reproduces the reference amax table.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "models/model.h"
#include "pipelines/calibration_inputs.h"
#include "quant/amax_table.h"
#include "quant/calibration_result.h"
#include "quant/calibrator.h"

using namespace qdq;

namespace {

std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/" + rel; }
nlohmann::json meta(const std::string& dir) { return nlohmann::json::parse(read_file(fixture(dir + "/meta.json"))); }

std::vector<int64_t> ids(const TensorMap& m, const std::string& name) {
  REQUIRE(m.has(name));
  return m.at(name).to_i64_vector();
}

// prophetnet-quant's 4 calibration batches, as JSONL records {text: source, target: target} would give them.
std::vector<std::vector<pipelines::CalibrationRecord>> quant_fixture_records() {
  std::vector<std::vector<pipelines::CalibrationRecord>> out;
  const auto m = meta("prophetnet-quant");  // kept alive while iterating it
  for (auto& b : m["calibration_inputs"]) {
    out.emplace_back();
    for (size_t i = 0; i < b["sources"].size(); ++i)
      out.back().push_back({b["sources"][i].get<std::string>(), std::nullopt, b["targets"][i].get<std::string>()});
  }
  return out;
}

// The fixture's calibration batches were tokenized with max_length 32 (sources) and cut to the
// decoder length of each batch (start token + the target's first word pieces).
std::vector<pipelines::CalibrationBatch> quant_fixture_batches(models::Model& m) {
  std::vector<pipelines::CalibrationBatch> out;
  const auto recs = quant_fixture_records();
  for (size_t i = 0; i < recs.size(); ++i) {
    TensorMap want = read_tensors_arg(fixture("prophetnet-quant/inputs.safetensors:calib" + std::to_string(i)));
    pipelines::CalibrationInputOptions o;
    o.batch_size = static_cast<int64_t>(recs[i].size());
    o.max_length = 32;
    o.max_target_length = want.at("decoder_input_ids").dim(1);
    auto b = pipelines::calibration_batches(m, fixture("prophetnet-quant"), recs[i], o);
    REQUIRE(b.size() == 1);
    out.push_back(std::move(b[0]));
  }
  return out;
}

}  // namespace

TEST_CASE("seq2seq teacher forcing: JSONL text/target give the fixture's calibration batches exactly") {
  auto m = models::load_model(fixture("prophetnet-quant"));
  const auto got = quant_fixture_batches(*m);
  REQUIRE(got.size() == 4);
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    TensorMap want = read_tensors_arg(fixture("prophetnet-quant/inputs.safetensors:calib" + std::to_string(i)));
    for (const char* n : {"input_ids", "attention_mask", "decoder_input_ids"}) {
      CAPTURE(n);
      CHECK(got[i].tensors.at(n).shape() == want.at(n).shape());
      CHECK(ids(got[i].tensors, n) == ids(want, n));
    }
    // Rows of one length need no decoder mask (the reference passes none).
    CHECK_FALSE(got[i].tensors.has("decoder_attention_mask"));
  }
}

// README: "The amax values themselves are exact"; inputs: max of |x| over the same elements, equal up to the
// forward's float rounding (1e-5 relative, as the tensor-input calibration test); weights exact (1e-6).
TEST_CASE("calibration from text reproduces prophetnet-quant's amax_max.json") {
  auto m = models::load_model(fixture("prophetnet-quant"));
  const auto batches = quant_fixture_batches(*m);
  REQUIRE(batches.size() == 4);
  auto& plan = m->quant_plan();
  for (auto& q : plan.all()) q->set_calibrator(quant::make_calibrator("max", q->desc()));
  plan.set_mode(quant::QuantMode::Calibrate);
  m->prepare();
  for (auto& b : batches) m->forward(b.tensors);
  const auto r = quant::calibration_result(plan, "max", fixture("prophetnet-quant"), /*strict=*/true);
  CHECK(r.no_data.empty());
  const auto want = quant::load_amax_table(fixture("prophetnet-quant/amax_max.json"));
  REQUIRE(r.table.size() == want.size());
  for (const auto& item : want) {
    const std::string& name = item.first;  // not a structured binding: clang 14 cannot capture those in CAPTURE
    const auto& w = item.second;
    CAPTURE(name);
    REQUIRE(r.table.count(name));
    const auto& g = r.table.at(name);
    REQUIRE(g.size() == w.size());
    const double rel = w.size() > 1 ? 1e-6 : 1e-5;
    for (size_t c = 0; c < w.size(); ++c) CHECK(std::fabs(g[c] - w[c]) <= rel * std::fabs(w[c]));
  }
}

TEST_CASE("seq2seq sources alone: the decoder sees the fp32 model's greedy output (prophetnet generate fixture)") {
  auto m = models::load_model(fixture("prophetnet"));
  std::vector<pipelines::CalibrationRecord> recs;
  const auto texts = meta("prophetnet")["encoder_texts"];
  for (auto& t : texts) recs.push_back({t.get<std::string>(), std::nullopt, std::nullopt});
  pipelines::CalibrationInputOptions o;
  o.max_target_length = 24;  // the fixture's max_length
  std::vector<std::pair<int64_t, int64_t>> calls;
  o.on_generated = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  auto b = pipelines::calibration_batches(*m, fixture("prophetnet"), recs, o);
  REQUIRE(b.size() == 1);
  CHECK(calls == std::vector<std::pair<int64_t, int64_t>>{{2, 2}});  // progress: one batch of 2 generated
  TensorMap in = read_tensors_arg(fixture("prophetnet/inputs.safetensors"));
  CHECK(ids(b[0].tensors, "input_ids") == ids(in, "encoder_input_ids"));
  CHECK(ids(b[0].tensors, "attention_mask") == ids(in, "encoder_attention_mask"));
  // sequences [2, 24] start with the decoder start 102; as a target, a final eos (102) is no decoder input.
  TensorMap gen = read_tensors_arg(fixture("prophetnet/generate.safetensors"));
  const Tensor& seq = gen.at("seq2seq_greedy.sequences");
  const auto sv = seq.to_i64_vector();
  const int64_t W = seq.dim(1);
  std::vector<std::vector<int64_t>> want(seq.dim(0));
  for (int64_t r = 0; r < seq.dim(0); ++r) {
    for (int64_t t = 0; t < W; ++t) {
      if (t > 0 && sv[r * W + t] == 102) break;
      want[r].push_back(sv[r * W + t]);
    }
  }
  const Tensor& d = b[0].tensors.at("decoder_input_ids");
  const auto dv = d.to_i64_vector();
  for (int64_t r = 0; r < d.dim(0); ++r) {
    CAPTURE(r);
    std::vector<int64_t> row(dv.begin() + r * d.dim(1), dv.begin() + (r + 1) * d.dim(1));
    for (size_t t = want[r].size(); t < row.size(); ++t) CHECK(row[t] == 0);  // pad
    row.resize(want[r].size());
    CHECK(row == want[r]);
  }
}

TEST_CASE("EncoderDecoderModel sources alone: greedy decoder inputs equal the encoder-decoder generate fixture") {
  auto m = models::load_model(fixture("encoder-decoder"));
  std::vector<pipelines::CalibrationRecord> recs;
  const auto texts = meta("encoder-decoder")["source_texts"];
  for (auto& t : texts) recs.push_back({t.get<std::string>(), std::nullopt, std::nullopt});
  pipelines::CalibrationInputOptions o;
  o.max_target_length = 20;  // the fixture's max_length
  auto b = pipelines::calibration_batches(*m, fixture("encoder-decoder"), recs, o);
  REQUIRE(b.size() == 1);
  TensorMap gen = read_tensors_arg(fixture("encoder-decoder/generate.safetensors"));
  const Tensor& seq = gen.at("greedy.sequences");
  const auto sv = seq.to_i64_vector();
  const Tensor& d = b[0].tensors.at("decoder_input_ids");
  const auto dv = d.to_i64_vector();
  for (int64_t r = 0; r < seq.dim(0); ++r) {
    CAPTURE(r);
    std::vector<int64_t> want;
    for (int64_t t = 0; t < seq.dim(1); ++t) {
      if (t > 0 && sv[r * seq.dim(1) + t] == 102) break;
      want.push_back(sv[r * seq.dim(1) + t]);
    }
    std::vector<int64_t> row(dv.begin() + r * d.dim(1), dv.begin() + r * d.dim(1) + want.size());
    CHECK(row == want);
  }
}

TEST_CASE("causal LM: the prompts tokenized as generate does (prophetnet prompt_input_ids)") {
  auto m = models::load_model(fixture("prophetnet"), {"ProphetNetForCausalLM"});
  std::vector<pipelines::CalibrationRecord> recs;
  const auto texts = meta("prophetnet")["prompt_texts"];
  for (auto& t : texts) recs.push_back({t.get<std::string>(), std::nullopt, std::nullopt});
  TensorMap in = read_tensors_arg(fixture("prophetnet/inputs.safetensors"));
  pipelines::CalibrationInputOptions o;
  o.max_length = in.at("prompt_input_ids").dim(1);  // the fixture keeps the first word pieces
  auto b = pipelines::calibration_batches(*m, fixture("prophetnet"), recs, o);
  REQUIRE(b.size() == 1);
  CHECK(ids(b[0].tensors, "input_ids") == ids(in, "prompt_input_ids"));
  CHECK(ids(b[0].tensors, "attention_mask") == ids(in, "prompt_attention_mask"));
  CHECK_FALSE(b[0].tensors.has("decoder_input_ids"));

  recs[1].target = "a target";
  CHECK_THROWS_WITH_AS(pipelines::calibration_batches(*m, fixture("prophetnet"), recs, o),
                       doctest::Contains("calibration text 2: \"target\""), Error);
}

TEST_CASE("batches follow input order and --batch-size; ragged targets are padded with a decoder mask") {
  auto m = models::load_model(fixture("prophetnet"));
  std::vector<pipelines::CalibrationRecord> recs = {
      {"first source text", std::nullopt, std::string("a b c d")},
      {"second", std::nullopt, std::string("x")},
      {"third source", std::nullopt, std::string("")},
  };
  pipelines::CalibrationInputOptions o;
  o.batch_size = 2;
  auto b = pipelines::calibration_batches(*m, fixture("prophetnet"), recs, o);
  REQUIRE(b.size() == 2);
  CHECK(b[0].where == "texts 1-2");
  CHECK(b[1].where == "texts 3-3");
  const Tensor& d = b[0].tensors.at("decoder_input_ids");
  REQUIRE(d.shape() == Shape{2, 5});
  const auto dv = d.to_i64_vector();
  CHECK(dv[0] == 102);
  CHECK(dv[5] == 102);
  CHECK(dv[7] == 0);
  CHECK(ids(b[0].tensors, "decoder_attention_mask") == std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 0, 0, 0});
  CHECK(ids(b[1].tensors, "decoder_input_ids") == std::vector<int64_t>{102});  // an empty target: the start token
}
