// QDQBERT's optional forward outputs and inputs against transformers 4.37.2
// (tests/fixtures/forward-outputs/qdqbert.safetensors, see its README): hidden_states.K and
// attentions.K with output_hidden_states / output_attentions, head_mask, position_ids and
// inputs_embeds; in fp32 from both checkpoint formats, and in bf16, fake quant and int8.
#include <memory>

#include "fo_util.h"
#include "models/bert/task_model.h"
#include "models/model.h"
#include "kernels/ops.h"
#include "quant/amax_table.h"

using namespace qdq;
using fot::check_close;

namespace {

// Tolerances (forward-outputs README: as the source fixture's fp32 outputs): hidden states and
// logits 1e-4 absolute (qdqbert-seqcls README: atol 1e-4, rtol 1e-4), attention probabilities 1e-5.
constexpr double kHidden = 1e-4, kProbs = 1e-5;

enum class Prec { Fp32, Bf16, FakeQuant, Int8 };
const char* prec_name(Prec p) {
  switch (p) {
    case Prec::Fp32: return "fp32";
    case Prec::Bf16: return "bf16";
    case Prec::FakeQuant: return "fake quant";
    case Prec::Int8: return "int8";
  }
  return "";
}

std::string seqcls() { return fot::fixture("qdqbert-seqcls"); }

// The model in `p`; fake quant and int8 with the fixture's max-calibrated amax table.
std::unique_ptr<models::Model> load(const std::string& dir, Prec p) {
  auto m = models::load_model(dir, {"", false});
  auto& plan = m->quant_plan();
  if (p == Prec::Bf16) plan.set_float_math(quant::FloatMath::Bf16);
  if (p == Prec::FakeQuant || p == Prec::Int8) {
    const std::string t = seqcls() + "/amax_max.json";
    quant::apply_amax_table(plan, quant::load_amax_table(t), t);
    plan.set_mode(p == Prec::Int8 ? quant::QuantMode::Int8 : quant::QuantMode::FakeQuant);
  }
  m->prepare();
  return m;
}

const TensorMap& ref() {
  static const TensorMap r = fot::reference("qdqbert.safetensors");
  return r;
}
TensorMap inputs() { return fot::group(ref(), "input."); }

models::ForwardRequest all_outputs() {
  models::ForwardRequest r;
  r.hidden_states = r.attentions = true;
  return r;
}

// Names of the reference's hidden_states.K / attentions.K.
std::vector<std::string> tuple_names() {
  std::vector<std::string> v;
  for (auto& n : ref().names)
    if (n.rfind("hidden_states.", 0) == 0 || n.rfind("attentions.", 0) == 0) v.push_back(n);
  return v;
}

// The output holds exactly the reference's tuple entries, hidden_states.{L} is last_hidden_state,
// and every attention row sums to 1 over the keys (masked keys get 0).
void check_structure(const TensorMap& out, double row_tol) {
  for (auto& n : tuple_names()) {
    CAPTURE(n);
    REQUIRE(out.has(n));
    CHECK(out.at(n).shape() == ref().at(n).shape());
  }
  size_t tuples = 0;
  for (auto& n : out.names) tuples += n.find('.') != std::string::npos;
  CHECK(tuples == tuple_names().size());
  const int64_t L = 2;
  CHECK(fot::max_abs_diff(out.at("hidden_states." + std::to_string(L)), out.at("last_hidden_state")) == 0);
  const Tensor& a = out.at("attentions.0");
  const int64_t rows = a.numel() / a.dim(3), Tk = a.dim(3);
  double worst = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t j = 0; j < Tk; ++j) s += a.data<float>()[r * Tk + j];
    worst = std::max(worst, std::fabs(s - 1.0));
  }
  CHECK(worst <= row_tol);
}

}  // namespace

TEST_CASE("QDQBERT fp32 hidden_states.K and attentions.K equal transformers (model.safetensors and pytorch_model.bin)") {
  const std::string bin = fot::linked_dir(seqcls(), "bert_bin", std::vector<const char*>{"config.json", "pytorch_model.bin"});
  for (const std::string& dir : {seqcls(), bin}) {
    CAPTURE(dir);
    auto m = load(dir, Prec::Fp32);
    TensorMap out = m->forward(inputs(), all_outputs());
    check_structure(out, 1e-5);
    for (auto& n : tuple_names())
      check_close(out.at(n), ref().at(n), n[0] == 'a' ? kProbs : kHidden, n[0] == 'a' ? 0.0 : 1e-4, n);
    // The default path is unchanged by the request: the same last_hidden_state and logits.
    TensorMap plain = m->forward(inputs());
    CHECK(fot::max_abs_diff(plain.at("last_hidden_state"), out.at("last_hidden_state")) == 0);
    CHECK(fot::max_abs_diff(plain.at("logits"), out.at("logits")) == 0);
  }
  std::filesystem::remove_all(bin);
}

TEST_CASE("QDQBERT head_mask [layers, heads] as transformers applies it; [heads] means every layer") {
  auto m = load(seqcls(), Prec::Fp32);
  TensorMap in = inputs();
  in.add("head_mask", ref().at("head_mask"));
  TensorMap out = m->forward(in, all_outputs());
  check_close(out.at("last_hidden_state"), ref().at("head_mask.last_hidden_state"), kHidden, 1e-4, "last_hidden_state");
  check_close(out.at("logits"), ref().at("head_mask.logits"), kHidden, 1e-4, "logits");
  // A masked head's probabilities are zero, its row of the mask times the probabilities.
  const Tensor& hm = ref().at("head_mask");
  const int64_t H = hm.dim(1);
  for (int64_t l = 0; l < hm.dim(0); ++l) {
    const Tensor& a = out.at("attentions." + std::to_string(l));
    const int64_t per_head = a.dim(2) * a.dim(3);
    for (int64_t b = 0; b < a.dim(0); ++b)
      for (int64_t h = 0; h < H; ++h)
        if (hm.data<float>()[l * H + h] == 0.0f)
          for (int64_t i = 0; i < per_head; ++i) REQUIRE(a.data<float>()[(b * H + h) * per_head + i] == 0.0f);
  }
  // One [heads] row is that row for every layer.
  std::vector<float> row(hm.data<float>() + H, hm.data<float>() + 2 * H);
  TensorMap in1 = inputs(), in2 = inputs();
  in1.add("head_mask", Tensor::from_vector(row, {H}));
  std::vector<float> both = row;
  both.insert(both.end(), row.begin(), row.end());
  in2.add("head_mask", Tensor::from_vector(both, {2, H}));
  CHECK(fot::max_abs_diff(m->forward(in1).at("logits"), m->forward(in2).at("logits")) == 0);
}

TEST_CASE("QDQBERT position_ids and inputs_embeds as transformers takes them") {
  auto m = load(seqcls(), Prec::Fp32);
  TensorMap in = inputs();
  in.add("position_ids", ref().at("position_ids"));
  check_close(m->forward(in).at("last_hidden_state"), ref().at("position_ids.last_hidden_state"), kHidden, 1e-4,
              "position_ids.last_hidden_state");
  TensorMap e;
  for (auto& n : inputs().names)
    if (n != "input_ids") e.add(n, inputs().at(n));
  e.add("inputs_embeds", ref().at("inputs_embeds"));
  check_close(m->forward(e).at("last_hidden_state"), ref().at("inputs_embeds.last_hidden_state"), kHidden, 1e-4,
              "inputs_embeds.last_hidden_state");
}

TEST_CASE("QDQBERT optional inputs: bad shapes and values are errors naming the input") {
  auto m = load(seqcls(), Prec::Fp32);
  auto fails = [&](const std::string& name, const Tensor& t, const std::string& what) {
    TensorMap in = inputs();
    in.add(name, t);
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(m->forward(in), doctest::Contains(what.c_str()), Error);
  };
  fails("head_mask", Tensor(DType::F32, {3, 4}), "input 'head_mask' has shape [3, 4]");
  fails("head_mask", Tensor(DType::F32, {5}), "input 'head_mask' has shape [5]");
  fails("inputs_embeds", ref().at("inputs_embeds"), "give input_ids or inputs_embeds, not both");
  std::vector<int64_t> far(3 * 23, 512);
  fails("position_ids", Tensor::from_vector(far, {3, 23}), "input 'position_ids' holds 512");
  fails("position_ids", Tensor(DType::I64, {2, 23}), "input 'position_ids' has shape [2, 23]");
}

// Quantized and bf16 runs compute other numbers than the fp32 reference; they are compared with it
// within the source fixture's tolerances for them, and their own structure checked exactly:
// * fake quant / int8 (amax_max.json): qdqrt-seqcls README's fake-quant check, none above max_abs 0.5
//   (flipped activations alone moved last_hidden_state by up to 0.155 in its probes; quantization
//   itself by 0.18), applied to every tuple entry: the hidden states are LayerNorm outputs of the
//   scale of last_hidden_state, the probabilities lie in [0, 1].
//   int8's numbers are compared with transformers' fake quant by tests/cli/forward.sh (its
//   last_hidden_state is hidden_states.{L} here, checked equal); int8 tuple entries are checked
//   here for what they are (below and in the next test): forward.sh holds their numbers to
//   transformers' fake quant, on every CPU (kernels/cpu.h: without VNNI the codes are multiplied in f32).
// * bf16: tests/cli/bf16.sh's bound (max abs 0.1 on outputs of scale 1 to 3, 2x what was measured);
//   on a CPU without AVX-512 BF16 the refusal is checked instead, as bf16.sh does.
TEST_CASE("QDQBERT bf16, fake quant and int8: every tuple entry, within the fixture's tolerances of fp32") {
  for (Prec p : {Prec::Bf16, Prec::FakeQuant, Prec::Int8}) {
    CAPTURE(prec_name(p));
    if (p == Prec::Bf16 && !kernels::cpu_has_bf16()) {
      CHECK_THROWS_WITH_AS(load(seqcls(), p), doctest::Contains("needs a CPU with AVX-512 BF16"), Error);
      continue;
    }
    auto m = load(seqcls(), p);
    double row_tol = 1e-5;
    if (p == Prec::Int8) {  // the int8 attention really runs (P's codes come from its softmax)
      int64_t int8_p = 0;
      double amax_min = 1;
      for (auto& q : m->quant_plan().all())
        if (q->name().find("matmul_a_input_quantizer") != std::string::npos) {
          int8_p += q->plan().kernel == quant::Kernel::Int8;
          amax_min = std::min<double>(amax_min, q->amax()[0]);
        }
      CHECK(int8_p == 2);
      // Each dequantized probability is within half a step of its float value unless it saturates
      // at amax: a row of 23 keys within 23 half steps plus 1 - amax of 1.
      row_tol = 23 * 0.5 / 127 + (1 - amax_min);
    }
    TensorMap out = m->forward(inputs(), all_outputs());
    check_structure(out, row_tol);
    if (p == Prec::Int8) continue;
    const double bound = p == Prec::Bf16 ? 0.1 : 0.5;
    for (auto& n : tuple_names()) {
      CAPTURE(n);
      const double d = fot::max_abs_diff(out.at(n), ref().at(n));
      MESSAGE(prec_name(p) << " " << n << " max |diff| vs fp32 " << d);
      CHECK(d <= bound);
    }
  }
}

// int8's attentions are P's codes dequantized: every value an integer multiple of amax/127 in
// [0, amax]; a head mask zeroes a head's codes and leaves the other heads of layer 0 as they were.
TEST_CASE("QDQBERT int8 attentions are P's dequantized codes; head_mask zeroes them") {
  auto fq = load(seqcls(), Prec::FakeQuant);
  auto i8 = load(seqcls(), Prec::Int8);
  TensorMap in = inputs();
  in.add("head_mask", ref().at("head_mask"));
  TensorMap a = fq->forward(inputs(), all_outputs()), b = i8->forward(inputs(), all_outputs());
  TensorMap bm = i8->forward(in, all_outputs());
  const Tensor& hm = ref().at("head_mask");
  for (int l = 0; l < 2; ++l) {
    const std::string n = "attentions." + std::to_string(l);
    CAPTURE(n);
    const float amax = i8->quant_plan().find("bert.encoder.layer." + std::to_string(l) +
                                             ".attention.self.matmul_a_input_quantizer")->amax()[0];
    const double step = amax / 127.0;
    const Tensor& y = b.at(n);
    double off_grid = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      const double c = y.data<float>()[i] / step;
      off_grid = std::max(off_grid, std::fabs(c - std::nearbyint(c)));
      REQUIRE(c >= -1e-3);
      REQUIRE(c <= 127 + 1e-3);
    }
    CHECK(off_grid <= 1e-3);
    MESSAGE(n << ": int8 vs fake quant max |diff| " << fot::max_abs_diff(a.at(n), y));
    const Tensor& z = bm.at(n);
    const int64_t H = z.dim(1), per = z.dim(2) * z.dim(3);
    for (int64_t bb = 0; bb < z.dim(0); ++bb)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < per; ++i) {
          const float v = z.data<float>()[(bb * H + h) * per + i];
          if (hm.data<float>()[l * H + h] == 0.0f) REQUIRE(v == 0.0f);
          else if (l == 0) REQUIRE(v == y.data<float>()[(bb * H + h) * per + i]);  // nothing before it changed
        }
  }
}
