#include <doctest/doctest.h>

#include <cmath>

#include "layers/quant_linear.h"
#include "quant/max_calibrator.h"
#include "ref.h"

using namespace qdq;
using kernels::Activation;
using quant::QuantMode;

namespace {
Tensor fq(const Tensor& x, const std::vector<float>& amax, std::optional<int> axis) {
  Tensor y = x.clone();
  quant::fake_quant(y.data<float>(), y.shape(), amax, axis, 8, false, false);
  return y;
}
std::vector<float> row_amax(const Tensor& w) {
  std::vector<float> a(w.dim(0), 0.0f);
  for (int64_t n = 0; n < w.dim(0); ++n)
    for (int64_t k = 0; k < w.dim(1); ++k) a[n] = std::max(a[n], std::fabs(w.data<float>()[n * w.dim(1) + k]));
  return a;
}
}  // namespace

TEST_CASE("QuantLinear registers its quantizers and runs every mode") {
  const int64_t K = 64, N = 48;
  Tensor w = ref::randn({N, K}, 50, 0.2f), b = ref::randn({N}, 51);
  quant::QuantPlan plan;
  layers::QuantLinear lin("bert.encoder.layer.0.intermediate.dense", w, b, plan);
  REQUIRE(plan.all().size() == 2);
  CHECK(plan.all()[0]->name() == "bert.encoder.layer.0.intermediate.dense._input_quantizer");
  CHECK(plan.all()[1]->name() == "bert.encoder.layer.0.intermediate.dense._weight_quantizer");
  CHECK(lin.weight_quantizer().desc().axis == 0);
  CHECK(lin.weight_quantizer().channels() == N);
  CHECK(!lin.input_quantizer().desc().axis.has_value());

  Tensor x = ref::randn({5, K}, 52);
  const Tensor x_before = x.clone();

  // Disabled: plain fp32, once the plan is resolved.
  CHECK_THROWS_WITH_AS(lin.forward(x), doctest::Contains("since prepare()"), Error);
  lin.prepare();
  CHECK(lin.input_quantizer().plan().kernel == quant::Kernel::Fp32);
  Tensor y = lin.forward(x, Activation::GeluErf);
  CHECK(ref::rel_err(y, ref::linear(x, w, b, Activation::GeluErf)) < 1e-5);

  // Calibrate: output unchanged, both calibrators see their tensors.
  lin.input_quantizer().set_calibrator(std::make_unique<quant::MaxCalibrator>(std::nullopt));
  lin.weight_quantizer().set_calibrator(std::make_unique<quant::MaxCalibrator>(0));
  plan.set_mode(QuantMode::Calibrate);
  CHECK_THROWS_WITH_AS(lin.forward(x), doctest::Contains("modes changed since prepare()"), Error);
  lin.prepare();
  CHECK(lin.input_quantizer().plan().kernel == quant::Kernel::Calibrate);
  y = lin.forward(x);
  CHECK(ref::rel_err(y, ref::linear(x, w, b, Activation::None)) < 1e-5);
  auto in_amax = lin.input_quantizer().calibrator()->compute_amax("max");
  auto w_amax = lin.weight_quantizer().calibrator()->compute_amax("max");
  REQUIRE(in_amax);
  REQUIRE(w_amax);
  CHECK(w_amax->size() == size_t(N));
  CHECK((*w_amax)[3] == row_amax(w)[3]);

  // FakeQuant: fq(x) @ fq(W)^T + b; the caller's x is untouched.
  lin.input_quantizer().set_amax({2.0f});
  lin.weight_quantizer().set_amax(*w_amax);
  plan.set_mode(QuantMode::FakeQuant);
  lin.prepare();
  Tensor yf = lin.forward(x);
  Tensor r = ref::linear(fq(x, {2.0f}, std::nullopt), fq(w, *w_amax, 0), b, Activation::None);
  CHECK(ref::rel_err(yf, r) < 1e-5);
  for (int64_t i = 0; i < x.numel(); ++i) REQUIRE(x.data<float>()[i] == x_before.data<float>()[i]);

  // Int8: the same numbers through the integer kernel.
  plan.set_mode(QuantMode::Int8);
  lin.prepare();
  CHECK(lin.is_int8());
  CHECK(lin.input_quantizer().plan().kernel == quant::Kernel::Int8);
  CHECK(lin.weight_quantizer().plan().kernel == quant::Kernel::Int8);
  Tensor yi = lin.forward(x);
  CHECK(ref::rel_err(yi, r) < 1e-5);
  CHECK(ref::rel_err(yi, yf) < 1e-5);

  // Mixed: int8 weights with the input quantizer disabled -> fp32 with fake-quant weights.
  lin.input_quantizer().set_mode(QuantMode::Disabled);
  lin.prepare();  // the plan is resolved once, here: weights fake-quantized, no int8 kernel
  CHECK(!lin.is_int8());
  CHECK(lin.weight_quantizer().plan().kernel == quant::Kernel::FakeQuant);
  CHECK(!lin.weight_quantizer().plan().note.empty());
  Tensor ym = lin.forward(x);
  CHECK(ref::rel_err(ym, ref::linear(x, fq(w, *w_amax, 0), b, Activation::None)) < 1e-5);
}

TEST_CASE("QuantLinear int8 without amax is an error") {
  quant::QuantPlan plan;
  layers::QuantLinear lin("m", ref::randn({8, 8}, 60), Tensor(), plan);
  plan.set_mode(QuantMode::Int8);
  CHECK_THROWS_AS(lin.prepare(), Error);
}

TEST_CASE("QuantLinear int8 accepts pre-quantized input") {
  quant::QuantPlan plan;
  Tensor w = ref::randn({16, 32}, 61), b = ref::randn({16}, 62), x = ref::randn({4, 32}, 63);
  layers::QuantLinear lin("m", w, b, plan);
  lin.input_quantizer().set_amax({2.0f});
  lin.weight_quantizer().set_amax({1.5f});
  plan.set_mode(QuantMode::Int8);
  lin.prepare();
  REQUIRE(lin.is_int8());
  Tensor y = lin.forward(x);
  Tensor y2 = lin.forward(kernels::quantize_s8(x, lin.int8_kernel().input_scale()));
  for (int64_t i = 0; i < y.numel(); ++i) CHECK(y.data<float>()[i] == y2.data<float>()[i]);
}
