// Every case of tests/fixtures/calib (pytorch_quantization 2.2.1 on the CPU).
#include <doctest/doctest.h>

#include <cmath>

#include "quant/histogram_calibrator.h"
#include "quant/max_calibrator.h"
#include "quant/torch_numerics.h"
#include "test_util.h"

using namespace qdq;
using namespace qdq::quant;
using qdqtest::values;

namespace {

struct Fixture {
  nlohmann::json cases;
  TensorMap t;
  Fixture() : cases(qdqtest::load_json(qdqtest::fixture("calib/cases.json"))["cases"]),
              t(read_safetensors(qdqtest::fixture("calib/tensors.safetensors"))) {}
};
const Fixture& fx() {
  static Fixture f;
  return f;
}

// The axis of a broadcast amax tensor: the dim holding all its values (nullopt: per tensor).
std::optional<int> amax_axis(const Tensor& a) {
  if (a.numel() <= 1) return std::nullopt;
  for (int d = 0; d < a.ndim(); ++d)
    if (a.dim(d) == a.numel()) return d;
  return std::nullopt;
}

// The rows [r0, r1) of a tensor along dim 0 (torch.chunk(x, 4, dim=0) with equal chunks).
std::vector<float> rows(const Tensor& x, int64_t r0, int64_t r1, Shape& shape) {
  shape = x.shape();
  const int64_t inner = x.numel() / x.dim(0);
  shape[0] = r1 - r0;
  const float* p = x.data<float>();
  return std::vector<float>(p + r0 * inner, p + r1 * inner);
}

}  // namespace

TEST_CASE("fake_tensor_quant and tensor_quant match every fixture case exactly") {
  int fq = 0, tq = 0, errors = 0;
  for (const auto& c : fx().cases) {
    const std::string kind = c["kind"];
    if (kind != "fake_tensor_quant" && kind != "tensor_quant") continue;
    CAPTURE(c["name"].get<std::string>());
    const Tensor& x = fx().t.at(c["input"]);
    const Tensor& a = fx().t.at(c["amax"]);
    const int bits = c["num_bits"];
    const bool uns = c["unsigned"], narrow = c["narrow_range"];
    std::vector<float> out = values(x);
    if (c.contains("error")) {
      CHECK_THROWS_AS(fake_quant(out.data(), x.shape(), values(a), amax_axis(a), bits, uns, narrow), Error);
      ++errors;
      continue;
    }
    const auto axis = amax_axis(a);
    if (kind == "fake_tensor_quant") {
      fake_quant(out.data(), x.shape(), values(a), axis, bits, uns, narrow);
      const auto want = values(fx().t.at(c["output"]));
      int64_t bad = 0;
      for (size_t i = 0; i < want.size(); ++i) bad += out[i] != want[i];
      CHECK(bad == 0);  // exact: same float32 operations as _tensor_quant
      ++fq;
    } else {
      // Integer codes and the returned scale (amax <= 2^-24 -> code 0, scale 1).
      const auto am = values(a), xs = values(x);
      const auto want_q = values(fx().t.at(c["outputs"])), want_s = values(fx().t.at(c["scale"]));
      const QuantBounds b = quant_bounds(bits, uns, narrow);
      int64_t ch_inner = 1;
      if (axis)
        for (int d = *axis + 1; d < x.ndim(); ++d) ch_inner *= x.dim(d);
      int64_t bad = 0;
      for (size_t i = 0; i < xs.size(); ++i) {
        const size_t ch = axis ? (i / ch_inner) % am.size() : 0;
        const float s = quant_scale(am[ch], b.max_bound);
        bad += quant_code(xs[i], s, b) != want_q[i];
      }
      CHECK(bad == 0);
      for (size_t ch = 0; ch < am.size(); ++ch) {
        const float s = quant_scale(am[ch], b.max_bound);
        CHECK((s == 0.0f ? 1.0f : s) == want_s[ch]);
      }
      ++tq;
    }
  }
  CHECK(fq == 84);
  CHECK(errors == 1);
  CHECK(tq == 12);
}

TEST_CASE("MaxCalibrator matches every fixture case") {
  int n = 0;
  for (const auto& c : fx().cases) {
    if (c["kind"] != "MaxCalibrator") continue;
    const std::string name = c["name"];
    CAPTURE(name);
    const Tensor& x = fx().t.at(c["input"]);
    std::optional<int> axis;
    if (name.find("/axis0") != std::string::npos) axis = 0;
    if (name.find("/axis1") != std::string::npos) axis = 1;
    MaxCalibrator cal(axis);
    CHECK(!cal.compute_amax("max").has_value());
    if (name.find("4_chunks") != std::string::npos) {
      const int64_t r = x.dim(0) / 4;
      for (int k = 0; k < 4; ++k) {
        Shape s;
        auto part = rows(x, k * r, (k + 1) * r, s);
        cal.collect(part.data(), s);
      }
    } else {
      cal.collect(x.data<float>(), x.shape());
    }
    const auto got = cal.compute_amax("max").value();
    const auto want = values(fx().t.at(c["output"]));
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == want[i]);  // exact: a max of |x|
    ++n;
  }
  CHECK(n == 20);
}

TEST_CASE("MaxCalibrator rejects a changed channel count") {
  MaxCalibrator cal(0);
  std::vector<float> x(12, 1.0f);
  cal.collect(x.data(), {3, 4});
  CHECK_THROWS_WITH_AS(cal.collect(x.data(), {4, 3}), doctest::Contains("amax shape changed"), Error);
}

TEST_CASE("HistogramCalibrator matches every fixture case") {
  int n = 0, results = 0;
  for (const auto& c : fx().cases) {
    if (c["kind"] != "HistogramCalibrator") continue;
    const std::string name = c["name"];
    CAPTURE(name);
    const Tensor& x = fx().t.at(c["input"]);
    HistogramOptions o;
    o.num_bins = name.find("bins128") != std::string::npos ? 128 : 2048;
    o.is_unsigned = name.find("unsigned") != std::string::npos;
    HistogramCalibrator cal(o);
    if (name.find("chunks") != std::string::npos) {
      const int64_t r = x.dim(0) / 4;
      for (int k = 0; k < 4; ++k) {
        Shape s;
        auto part = rows(x, k * r, (k + 1) * r, s);
        cal.collect(part.data(), s);
      }
    } else {
      cal.collect(x.data<float>(), x.shape());
    }
    const auto want_hist = values(fx().t.at(c["hist"]));
    const auto want_edges = values(fx().t.at(c["bin_edges"]));
    CHECK(static_cast<int64_t>(cal.hist().size()) == c["num_bins_after_collect"].get<int64_t>());
    REQUIRE(cal.hist().size() == want_hist.size());
    int64_t bad_counts = 0, bad_edges = 0;
    for (size_t i = 0; i < want_hist.size(); ++i) bad_counts += static_cast<float>(cal.hist()[i]) != want_hist[i];
    CHECK(bad_counts == 0);  // exact: torch.histc's float32 bin index
    REQUIRE(cal.bin_edges().size() == want_edges.size());
    for (size_t i = 0; i < want_edges.size(); ++i) bad_edges += cal.bin_edges()[i] != want_edges[i];
    CHECK(bad_edges == 0);  // exact: torch.linspace / arange rounding
    for (const auto& item : c["results"].items()) {
      // Named copies, not structured bindings: clang 14 cannot capture those in CAPTURE's and run's lambdas.
      const std::string key = item.key();
      const auto& r = item.value();
      CAPTURE(key);
      const auto& kw = r["kwargs"];
      const int start_bin = kw.value("start_bin", 128), stride = kw.value("stride", 1);
      const double pct = kw.value("percentile", 99.99);
      const std::string method = key.substr(0, key.find('_'));
      auto run = [&] {
        if (method == "percentile") return compute_amax_percentile(cal.hist(), cal.bin_edges(), pct);
        if (method == "mse")
          return compute_amax_mse(cal.hist(), cal.bin_edges(), o.num_bits, o.is_unsigned, stride, start_bin);
        return compute_amax_entropy(cal.hist(), cal.bin_edges(), o.num_bits, o.is_unsigned, stride, start_bin);
      };
      if (r.contains("error")) {
        CHECK_THROWS_WITH_AS(run(), doctest::Contains("argmin of an empty sequence"), Error);
      } else {
        const double want = r["amax"].get<double>();
        const float got = run();
        CHECK(qdqtest::close_rel(got, want, 1e-5));  // tolerance 1e-5 relative (observed: exact)
        CHECK(got == static_cast<float>(want));
      }
      ++results;
    }
    ++n;
  }
  CHECK(n == 9);
  CHECK(results > 36);
}

TEST_CASE("make_calibrator builds by method name") {
  QuantDescriptor in;
  auto c = make_calibrator("percentile", in, 2048, 99.99);
  std::vector<float> x = {0.0f, -1.0f, 2.0f, 3.0f};
  c->collect(x.data(), {4});
  CHECK(c->compute_amax("").value().size() == 1);
  CHECK(dynamic_cast<MaxCalibrator*>(make_calibrator("max", weight_desc()).get()) != nullptr);
  CHECK_THROWS_AS(make_calibrator("entropy", weight_desc()), Error);
  CHECK_THROWS_AS(make_calibrator("kl", in), Error);
  CHECK_THROWS_AS(make_calibrator("percentile", in, 2048, 100.5), Error);
}
