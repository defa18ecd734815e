// ProphetNetForConditionalGeneration under pytorch_quantization's
// quant_modules.initialize() (every nn.Linear a QuantLinear) against
// tests/fixtures/prophetnet-quant: quantizer names, fp32, fake quant (max and
// histogram-percentile amax), op-by-op checks from the recorded quantizer
// inputs, calibration, histogram compute_amax and int8. Tolerances are the
// README's (or, for the taps, float rounding only: see each test).
#include <cmath>
#include <map>

#include "kernels/ops.h"
#include "models/model.h"
#include "models/prophetnet/attention.h"
#include "models/prophetnet/config.h"
#include "models/prophetnet/feed_forward.h"
#include "models/prophetnet/ngram_attention.h"
#include "models/prophetnet/prophetnet_model.h"
#include "pq_util.h"
#include "quant/amax_table.h"
#include "quant/calibrator.h"
#include "quant/histogram_calibrator.h"

using namespace qdq;
namespace pn = qdq::models::prophetnet;

namespace {

const quant::AmaxTable& amax_max() {
  static const quant::AmaxTable t = quant::load_amax_table(pq::file("amax_max.json"));
  return t;
}

std::unique_ptr<models::Model> model_with(quant::QuantMode mode, const std::string& amax = "") {
  auto m = models::load_model(pq::dir());
  if (!amax.empty()) quant::apply_amax_table(m->quant_plan(), quant::load_amax_table(amax), amax);
  m->quant_plan().set_mode(mode);
  m->prepare();
  return m;
}

TensorMap test_inputs() { return read_tensors_arg(pq::file("inputs.safetensors:test")); }
Tensor vocab_cols() { return read_safetensors(pq::file("inputs.safetensors")).at("vocab_cols"); }

TensorMap run(quant::QuantMode mode, const std::string& amax = "") {
  auto m = model_with(mode, amax);
  return m->forward(test_inputs());
}

// README "Recommended check, per output": at most `frac` of the elements differ by
// more than bulk_atol (0.01), none by more than max_abs; logits via their summaries.
void bulk_check(const TensorMap& got_raw, const std::string& ref_file, const std::string& what) {
  const auto tol = pq::meta()["recommended_tolerance"]["fakequant"];
  const double bulk = tol["bulk_atol"].get<double>();
  const TensorMap got = pq::fixture_form(got_raw, vocab_cols());
  const TensorMap want = read_safetensors(pq::file(ref_file));
  for (const auto& n : want.names) {
    if (n.find("top10_ids") != std::string::npos) continue;  // near-ties may swap under rounding flips
    CAPTURE(what);
    CAPTURE(n);
    REQUIRE(got.has(n));
    const auto& po = tol["per_output"][pq::output_of(n)];
    const pq::Diff d = pq::diff(got.at(n), want.at(n), bulk);
    MESSAGE(what << " " << n << ": max abs " << d.max_abs << ", frac > " << bulk << ": " << d.frac_above);
    CHECK(d.frac_above <= po["max_fraction_outside_bulk_atol"].get<double>());
    CHECK(d.max_abs <= po["max_abs"].get<double>());
  }
}

void set_amax(quant::QuantPlan& plan, const quant::AmaxTable& t) {
  for (auto& q : plan.all()) {
    REQUIRE(t.count(q->name()));
    q->set_amax(t.at(q->name()));
  }
}

// Rows [r0, r0 + n) of dim 1 of [B, R, H], as [B, n, H].
Tensor rows(const Tensor& x, int64_t r0, int64_t n) {
  const int64_t B = x.dim(0), R = x.dim(1), H = x.dim(2);
  Tensor y(DType::F32, {B, n, H});
  for (int64_t b = 0; b < B; ++b)
    std::copy_n(x.data<float>() + (b * R + r0) * H, n * H, y.data<float>() + b * n * H);
  return y;
}

// The fixture checkpoint with `module`.weight replaced by the identity and its bias by zeros:
// with that Linear's quantizers disabled a block returns that Linear's input unchanged.
Checkpoint with_identity(const Checkpoint& ck, const std::string& module) {
  Checkpoint c = ck;
  const Tensor& w = ck.weights.at(module + ".weight");
  Tensor eye(DType::F32, w.shape());
  for (int64_t i = 0; i < std::min(w.dim(0), w.dim(1)); ++i) eye.data<float>()[i * w.dim(1) + i] = 1.0f;
  c.weights.tensors[module + ".weight"] = eye;
  c.weights.tensors[module + ".bias"] = Tensor(DType::F32, {w.dim(0)});
  return c;
}

void disable(quant::QuantPlan& plan, const std::string& module) {
  plan.find(module + "._input_quantizer")->set_mode(quant::QuantMode::Disabled);
  plan.find(module + "._weight_quantizer")->set_mode(quant::QuantMode::Disabled);
}

// Float rounding only: different summation orders over at most 128 products of O(1) values.
constexpr double kTapAtol = 2e-5, kTapRtol = 1e-5;

void check_tap(const Tensor& got, const Tensor& want, const std::string& what) {
  CAPTURE(what);
  REQUIRE(got.numel() == want.numel());
  const pq::Diff d = pq::diff(got.reshape(want.shape()), want, 0.01, kTapAtol, kTapRtol);
  MESSAGE(what << ": max abs " << d.max_abs);
  CHECK(d.worst_excess <= 0);
}

void check_equal(const Tensor& got, const Tensor& want, const std::string& what) {
  CAPTURE(what);
  REQUIRE(got.numel() == want.numel());
  CHECK(pq::diff(got.reshape(want.shape()), want).max_abs == 0.0);
}

}  // namespace

TEST_CASE("(a) quantizer names and order equal named_modules() of the reference") {
  auto m = models::load_model(pq::dir());
  std::vector<std::string> got;
  for (auto& q : m->quant_plan().all()) got.push_back(q->name());
  const auto meta = pq::meta();
  CHECK(got == meta["quantizers"].get<std::vector<std::string>>());
  CHECK(got.size() == size_t(meta["n_input_quantizers"].get<int>() + meta["n_weight_quantizers"].get<int>()));
  // Per-channel weight quantizers know their channel count (amax shape [out, 1]).
  for (auto& [name, shape] : meta["amax_shapes"].items()) {
    CAPTURE(name);
    auto* q = m->quant_plan().find(name);
    REQUIRE(q != nullptr);
    if (shape.empty()) CHECK(!q->desc().axis.has_value());
    else CHECK(q->channels() == shape[0].get<int64_t>());
  }
}

TEST_CASE("(b) fp32 forward matches the reference (atol 1e-4, rtol 1e-4 from README)") {
  const TensorMap got = pq::fixture_form(run(quant::QuantMode::Disabled), vocab_cols());
  const TensorMap want = read_safetensors(pq::file("outputs_fp32.safetensors"));
  for (const auto& n : want.names) {
    CAPTURE(n);
    REQUIRE(got.has(n));
    if (n.find("top10_ids") != std::string::npos) {
      CHECK(got.at(n).to_i64_vector() == want.at(n).to_i64_vector());
      continue;
    }
    CHECK(pq::diff(got.at(n), want.at(n), 0.01, 1e-4, 1e-4).worst_excess <= 0);
  }
}

TEST_CASE("(c) fake quant with max amax matches outputs_max (README bulk + max check)") {
  bulk_check(run(quant::QuantMode::FakeQuant, pq::file("amax_max.json")), "outputs_max.safetensors", "max");
}

TEST_CASE("(c) fake quant with percentile amax matches outputs_hist_percentile (README bulk + max check)") {
  bulk_check(run(quant::QuantMode::FakeQuant, pq::file("amax_hist_percentile99.99.json")),
             "outputs_hist_percentile.safetensors", "percentile");
}

// meta.json fakequant_sensitivity_max_amax: no probe moved the encoder or the decoder's
// main stream by more than 6.2e-6, so those two must agree far tighter than the bulk check.
TEST_CASE("(c) fake quant (max): encoder and decoder main stream within 1e-4 (measured flip noise 6.2e-6)") {
  const TensorMap got = run(quant::QuantMode::FakeQuant, pq::file("amax_max.json"));
  const TensorMap want = read_safetensors(pq::file("outputs_max.safetensors"));
  for (const std::string n : {"encoder_last_hidden_state", "decoder_last_hidden_state"}) {
    CAPTURE(n);
    CHECK(pq::diff(got.at(n), want.at(n)).max_abs <= 1e-4);
  }
}

// Structural checks on the taps (no arithmetic, so exact): which tensor each quantizer saw.
TEST_CASE("(d) taps: each quantizer sees the tensor the reference's does") {
  const TensorMap taps = read_safetensors(pq::file("taps_max.safetensors"));
  const TensorMap out = read_safetensors(pq::file("outputs_max.safetensors"));
  const auto cfg = pn::parse_config(load_config(pq::dir()), "config.json");
  const int64_t T = test_inputs().at("decoder_input_ids").dim(1), NG = cfg.ngram;
  // Every input quantizer has a tap, and those called twice a ".call1" tap.
  // Keep the JSON alive: items() of a temporary would dangle.
  const nlohmann::json meta = pq::meta();
  for (auto& [name, calls] : meta["quantizer_calls_per_forward"].items()) {
    CAPTURE(name);
    CHECK(taps.has(name));
    if (calls.get<int>() == 2) CHECK(taps.has(name + ".call1"));
  }
  for (const char* stack : {"encoder", "decoder"}) {
    const int64_t L = std::string(stack) == "encoder" ? cfg.num_encoder_layers : cfg.num_decoder_layers;
    for (int64_t i = 0; i < L; ++i) {
      const std::string p = "prophetnet." + std::string(stack) + ".layers." + std::to_string(i) + ".self_attn.";
      const Tensor& x = taps.at(p + "query_proj._input_quantizer");
      check_equal(taps.at(p + "key_proj._input_quantizer"), x, p + "key_proj");
      check_equal(taps.at(p + "value_proj._input_quantizer"), x, p + "value_proj");
      if (std::string(stack) == "decoder") {
        // relative_pos_embeddings: main stream [B, T, H], then the predicting streams [B, NG, T, H].
        check_equal(taps.at(p + "relative_pos_embeddings._input_quantizer"), rows(x, 0, T), p + "relpos main");
        check_equal(taps.at(p + "relative_pos_embeddings._input_quantizer.call1"), rows(x, T, NG * T),
                    p + "relpos predict");
        const std::string c = "prophetnet.decoder.layers." + std::to_string(i) + ".cross_attn.";
        check_equal(taps.at(c + "key_proj._input_quantizer"), out.at("encoder_last_hidden_state"), c + "key_proj");
        check_equal(taps.at(c + "value_proj._input_quantizer"), out.at("encoder_last_hidden_state"), c + "value_proj");
      }
    }
  }
  check_equal(taps.at("lm_head._input_quantizer"), out.at("decoder_last_hidden_state_ngram"), "lm_head input");
}

// README: F.linear(fq(lm_head tap), fq(W_emb)) = logits ([:, 0]) and logits_ngram ([:, 1:]), bit-exact in the
// reference; ours may differ by float rounding (K = 32 sums), so 2e-5 abs / 1e-5 rel, top-10 ids exactly.
TEST_CASE("(d) taps: lm_head QuantLinear on its tap reproduces the logits summaries") {
  Checkpoint ck = load_checkpoint(pq::dir());
  quant::QuantPlan plan;
  layers::QuantLinear head("lm_head", ck.weights.at("prophetnet.word_embeddings.weight"), Tensor(), plan);
  set_amax(plan, amax_max());
  plan.set_mode(quant::QuantMode::FakeQuant);
  head.prepare();
  const Tensor x = read_safetensors(pq::file("taps_max.safetensors")).at("lm_head._input_quantizer");
  const Tensor pl = head.forward(x);  // [B, NG, T, V]
  TensorMap o;
  models::prophetnet::add_logits(o, pl);
  const TensorMap want = read_safetensors(pq::file("outputs_max.safetensors"));
  for (const char* n : {"logits", "logits_ngram"}) {
    const TensorMap s = pq::summarize(o.at(n), n, vocab_cols());
    for (auto& k : s.names) {
      if (k.find("top10_ids") != std::string::npos) {
        CAPTURE(k);
        CHECK(s.at(k).to_i64_vector() == want.at(k).to_i64_vector());
      } else {
        check_tap(s.at(k), want.at(k), k);
      }
    }
  }
}

// README: act(F.linear(fq(intermediate tap), fq(W1), b1)) = the output Linear's tap, bit-exact in the reference.
TEST_CASE("(d) taps: every feed-forward intermediate QuantLinear + activation reproduces the output tap") {
  const TensorMap taps = read_safetensors(pq::file("taps_max.safetensors"));
  Checkpoint ck = load_checkpoint(pq::dir());
  const auto cfg = pn::parse_config(ck.config, "config.json");
  const auto act = kernels::activation_from_name(cfg.activation);
  int n = 0;
  for (const char* stack : {"encoder", "decoder"}) {
    const int64_t L = std::string(stack) == "encoder" ? cfg.num_encoder_layers : cfg.num_decoder_layers;
    for (int64_t i = 0; i < L; ++i) {
      const std::string f = "prophetnet." + std::string(stack) + ".layers." + std::to_string(i) + ".feed_forward";
      quant::QuantPlan plan;
      layers::QuantLinear lin(f + ".intermediate", ck.weights.at(f + ".intermediate.weight"),
                              ck.weights.at(f + ".intermediate.bias"), plan);
      set_amax(plan, amax_max());
      plan.set_mode(quant::QuantMode::FakeQuant);
      lin.prepare();
      check_tap(lin.forward(taps.at(f + ".intermediate._input_quantizer"), act), taps.at(f + ".output._input_quantizer"),
                f);
      ++n;
    }
  }
  CHECK(n == cfg.num_encoder_layers + cfg.num_decoder_layers);
}

// README: "an attention block can be checked from its projection taps to its out_proj taps". Our own
// Attention / NgramSelfAttention classes run on the recorded q/k/v inputs (fake quant, max amax) with
// out_proj replaced by an exact identity (quantizers off), so they return out_proj's input. No quantizer
// sits between the projections' inputs and out_proj's input: only float rounding differs.
TEST_CASE("(d) taps: attention blocks map their projection taps to their out_proj taps") {
  const TensorMap taps = read_safetensors(pq::file("taps_max.safetensors"));
  const TensorMap in = test_inputs();
  Checkpoint ck = load_checkpoint(pq::dir());
  const auto cfg = pn::parse_config(ck.config, "config.json");
  const auto src_add = pn::additive_key_mask(in.at("attention_mask").to_i64_vector());
  const std::vector<int64_t> dec_mask = in.at("decoder_attention_mask").to_i64_vector();
  const int64_t T = in.at("decoder_input_ids").dim(1), NG = cfg.ngram;

  auto plain = [&](const std::string& p, int64_t heads, const std::string& kv_tap) {
    CAPTURE(p);
    Checkpoint c = with_identity(ck, p + ".out_proj");
    WeightStore ws(c);
    quant::QuantPlan plan;
    pn::Attention att(p, ws, cfg.hidden_size, heads, plan);
    set_amax(plan, amax_max());
    plan.set_mode(quant::QuantMode::FakeQuant);
    disable(plan, p + ".out_proj");
    att.prepare();
    CHECK(pq::diff(taps.at(p + ".key_proj._input_quantizer"), taps.at(kv_tap)).max_abs == 0.0);
    auto kv = att.project_kv(taps.at(kv_tap));
    Tensor y = att.forward(taps.at(p + ".query_proj._input_quantizer"), kv, src_add);
    check_tap(y, taps.at(p + ".out_proj._input_quantizer"), p);
  };
  for (int64_t i = 0; i < cfg.num_encoder_layers; ++i) {
    const std::string p = "prophetnet.encoder.layers." + std::to_string(i) + ".self_attn";
    plain(p, cfg.num_encoder_heads, p + ".query_proj._input_quantizer");
  }
  for (int64_t i = 0; i < cfg.num_decoder_layers; ++i) {
    const std::string c = "prophetnet.decoder.layers." + std::to_string(i) + ".cross_attn";
    plain(c, cfg.num_decoder_heads, c + ".key_proj._input_quantizer");

    const std::string p = "prophetnet.decoder.layers." + std::to_string(i) + ".self_attn";
    CAPTURE(p);
    Checkpoint ci = with_identity(ck, p + ".out_proj");
    WeightStore ws(ci);
    quant::QuantPlan plan;
    pn::NgramSelfAttention att(p, ws, cfg, plan);
    set_amax(plan, amax_max());
    plan.set_mode(quant::QuantMode::FakeQuant);
    disable(plan, p + ".out_proj");
    att.prepare();
    // relative_pos_embeddings (quantized) runs inside on the main and the predicting streams.
    Tensor y = att.forward(taps.at(p + ".query_proj._input_quantizer"), T, dec_mask, pn::RelPosMode::HuggingFace,
                           nullptr);
    check_tap(rows(y, 0, T), taps.at(p + ".out_proj._input_quantizer"), p + " main");
    check_tap(rows(y, T, NG * T), taps.at(p + ".out_proj._input_quantizer.call1"), p + " predict");
  }
}

namespace {
// Runs the 4 calibration batches through the model with every quantizer calibrating:
// inputs with `method`, weights with per-channel max (the reference's setup).
std::unique_ptr<models::Model> calibrated(const std::string& method) {
  auto m = models::load_model(pq::dir());
  auto& plan = m->quant_plan();
  for (auto& q : plan.all())
    q->set_calibrator(quant::make_calibrator(q->desc().axis ? "max" : method, q->desc()));
  plan.set_mode(quant::QuantMode::Calibrate);
  m->prepare();
  for (int i = 0; i < 4; ++i) {
    TensorMap b = read_tensors_arg(pq::file("inputs.safetensors:calib" + std::to_string(i)));
    REQUIRE(b.has("decoder_input_ids"));
    m->forward(b);
  }
  return m;
}
}  // namespace

// Max of |x| over the same elements: equal up to the forward's float rounding (1e-5 relative); weights exact
// (README: "The amax values themselves are exact (compare with rtol 1e-6)").
TEST_CASE("calibration (max) over the 4 fixture batches reproduces amax_max.json") {
  auto m = calibrated("max");
  int n = 0;
  for (auto& q : m->quant_plan().all()) {
    CAPTURE(q->name());
    auto a = q->calibrator()->compute_amax("max");
    REQUIRE(a.has_value());
    const auto& want = amax_max().at(q->name());
    REQUIRE(a->size() == want.size());
    const double rel = q->desc().axis ? 1e-6 : 1e-5;
    for (size_t c = 0; c < want.size(); ++c) CHECK(std::fabs((*a)[c] - want[c]) <= rel * std::fabs(want[c]));
    ++n;
  }
  CHECK(n == 70);
}

// The histogram the reference collected (histograms.safetensors) from the same elements: same element count
// (every call, padding included), same bin width up to rounding, and the percentile amax within two bins.
TEST_CASE("calibration (percentile 99.99) over the 4 fixture batches matches the reference histograms") {
  auto m = calibrated("percentile");
  const TensorMap h = read_safetensors(pq::file("histograms.safetensors"));
  const quant::AmaxTable pct = quant::load_amax_table(pq::file("amax_hist_percentile99.99.json"));
  int n = 0;
  for (auto& q : m->quant_plan().all()) {
    if (q->desc().axis) continue;
    CAPTURE(q->name());
    auto* hc = dynamic_cast<quant::HistogramCalibrator*>(q->calibrator());
    REQUIRE(hc != nullptr);
    const auto ref_counts = h.at(q->name() + ".hist").to_f32();
    const auto ref_edges = h.at(q->name() + ".bin_edges").to_f32();
    double ref_total = 0, total = 0;
    for (int64_t i = 0; i < ref_counts.numel(); ++i) ref_total += ref_counts.data<float>()[i];
    for (int64_t c : hc->hist()) total += double(c);
    CHECK(total == ref_total);
    const double width = ref_edges.data<float>()[1] - ref_edges.data<float>()[0];
    CHECK(std::fabs((hc->bin_edges()[1] - hc->bin_edges()[0]) - width) <= 1e-5 * width);
    auto a = hc->compute_amax("percentile");
    REQUIRE(a.has_value());
    CHECK(std::fabs(a->at(0) - pct.at(q->name()).at(0)) <= 2 * width);
    ++n;
  }
  CHECK(n == 35);
}

// (e) as the QDQBERT test: the amax is a bin edge picked from the same histogram, so exact.
TEST_CASE("(e) compute_amax_percentile on the fixture histograms equals amax_hist_percentile99.99.json") {
  const TensorMap h = read_safetensors(pq::file("histograms.safetensors"));
  const quant::AmaxTable pct = quant::load_amax_table(pq::file("amax_hist_percentile99.99.json"));
  int inputs = 0, weights = 0;
  for (auto& [name, v] : pct) {
    CAPTURE(name);
    if (name.find("._weight_quantizer") != std::string::npos) {
      CHECK(v == amax_max().at(name));  // README: in the percentile file the weight entries are the max values
      ++weights;
      continue;
    }
    const auto counts = h.at(name + ".hist").to_f32();
    const auto edges = h.at(name + ".bin_edges").to_f32();
    std::vector<int64_t> hist(counts.data<float>(), counts.data<float>() + counts.numel());
    std::vector<float> e(edges.data<float>(), edges.data<float>() + edges.numel());
    CHECK(quant::compute_amax_percentile(hist, e, 99.99) == v.at(0));
    ++inputs;
  }
  CHECK(inputs == 35);
  CHECK(weights == 35);
}

// The weight amax is max |W| per output row of the checkpoint's weights; lm_head's weight is the tied word
// embedding matrix (stored once as prophetnet.word_embeddings.weight), whose [PAD] row 0 gives amax 0.
TEST_CASE("(e) per-channel weight amax of amax_max.json = max |W| per row of the checkpoint (rtol 1e-6)") {
  Checkpoint ck = load_checkpoint(pq::dir());
  int n = 0;
  for (auto& [name, want] : amax_max()) {
    const std::string suf = "._weight_quantizer";
    if (name.size() < suf.size() || name.compare(name.size() - suf.size(), suf.size(), suf) != 0) continue;
    CAPTURE(name);
    const std::string mod = name.substr(0, name.size() - suf.size());
    const Tensor w = ck.weights.at(mod == "lm_head" ? "prophetnet.word_embeddings.weight" : mod + ".weight").to_f32();
    auto cal = quant::make_calibrator("max", quant::weight_desc());
    cal->collect(w.data<float>(), w.shape());
    auto a = cal->compute_amax("max");
    REQUIRE(a.has_value());
    REQUIRE(a->size() == want.size());
    for (size_t c = 0; c < want.size(); ++c) CHECK(std::fabs((*a)[c] - want[c]) <= 1e-6 * std::fabs(want[c]));
    ++n;
  }
  CHECK(n == 35);
  CHECK(amax_max().at("lm_head._weight_quantizer").at(0) == 0.0f);
}

// (f) Int8 kernels compute the same integer products as fake quant, only dequantizing as acc / (s_x s_w) + b
// instead of summing (q_x / s_x)(q_w / s_w): a float-rounding-level difference, i.e. what the README's
// perturbation probes measure. So int8 must pass the same README bulk + max check against outputs_max, and
// by the triangle inequality stay within max_abs_diff_fakequant_max_vs_fp32 + that max_abs of the fp32
// reference.
TEST_CASE("(f) int8 with max amax: README fake-quant check against outputs_max, bounded distance to fp32") {
  const TensorMap i8 = run(quant::QuantMode::Int8, pq::file("amax_max.json"));
  const TensorMap fq = run(quant::QuantMode::FakeQuant, pq::file("amax_max.json"));
  const TensorMap f32 = run(quant::QuantMode::Disabled);
  bulk_check(i8, "outputs_max.safetensors", "int8");
  const auto meta = pq::meta();
  const auto per_output = meta["recommended_tolerance"]["fakequant"]["per_output"];
  const TensorMap i8s = pq::fixture_form(i8, vocab_cols());
  const TensorMap ref32 = read_safetensors(pq::file("outputs_fp32.safetensors"));
  const TensorMap refmax = read_safetensors(pq::file("outputs_max.safetensors"));
  for (const std::string n : {"encoder_last_hidden_state", "decoder_last_hidden_state",
                               "decoder_last_hidden_state_ngram", "logits", "logits_ngram"}) {
    CAPTURE(n);
    // Full tensors against our own fake quant / fp32 (reported only), summaries against the references.
    const double vs_fq = pq::diff(i8.at(n), fq.at(n)).max_abs, vs_f32 = pq::diff(i8.at(n), f32.at(n)).max_abs;
    double vs_ref32 = 0, vs_refmax = 0;
    for (auto& k : ref32.names) {
      if (pq::output_of(k) != n || k.find("top10_ids") != std::string::npos) continue;
      vs_ref32 = std::max(vs_ref32, pq::diff(i8s.at(k), ref32.at(k)).max_abs);
      vs_refmax = std::max(vs_refmax, pq::diff(i8s.at(k), refmax.at(k)).max_abs);
    }
    MESSAGE("int8 " << n << ": max abs vs our fakequant " << vs_fq << ", vs outputs_max " << vs_refmax
                    << ", vs our fp32 " << vs_f32 << ", vs outputs_fp32 " << vs_ref32);
    CHECK(vs_ref32 <= meta["max_abs_diff_fakequant_max_vs_fp32"][n].get<double>() +
                          per_output[n]["max_abs"].get<double>() + 1e-4);
  }
}
