// compute_amax on the histograms the reference collected while calibrating the
// two QDQBERT fixtures, against the amax it then chose.
#include <doctest/doctest.h>

#include "quant/amax_table.h"
#include "quant/histogram_calibrator.h"
#include "test_util.h"

using namespace qdq;
using namespace qdq::quant;

TEST_CASE("compute_amax on the QDQBERT fixture histograms matches the reference exactly") {
  for (std::string dir : {"qdqbert-seqcls", "qdqbert-qa-from-bert"}) {
    const TensorMap h = read_safetensors(qdqtest::fixture(dir + "/histograms.safetensors"));
    const AmaxTable pct = load_amax_table(qdqtest::fixture(dir + "/amax_hist_percentile99.99.json"));
    const AmaxTable mse = load_amax_table(qdqtest::fixture(dir + "/amax_hist_mse.json"));
    const AmaxTable ent = load_amax_table(qdqtest::fixture(dir + "/amax_hist_entropy.json"));
    int n = 0;
    for (const auto& entry : pct) {
      const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one in CAPTURE
      if (name.find("_weight_quantizer") != std::string::npos) continue;
      CAPTURE(name);
      const auto counts = qdqtest::values(h.at(name + ".hist"));
      const auto edges = qdqtest::values(h.at(name + ".bin_edges"));
      std::vector<int64_t> hist(counts.begin(), counts.end());
      // Tolerance: exact (the amax is a bin edge or centre picked from the same histogram).
      CHECK(compute_amax_percentile(hist, edges, 99.99) == entry.second.at(0));
      CHECK(compute_amax_mse(hist, edges, 8, false) == mse.at(name).at(0));
      CHECK(compute_amax_entropy(hist, edges, 8, false) == ent.at(name).at(0));
      ++n;
    }
    CHECK(n == 28);
  }
}
