#pragma once
// Fixture access and comparisons for the forward-outputs tests (tests/fixtures/forward-outputs/:
// transformers 4.37.2's optional forward outputs on the qdqbert-seqcls and prophetnet fixtures).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "io/safetensors.h"

namespace fot {

inline std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/" + rel; }

// The reference tensors of forward-outputs/<file>.
inline qdq::TensorMap reference(const std::string& file) {
  return qdq::read_safetensors(fixture("forward-outputs/" + file));
}

// Tensors named PREFIX + x, renamed to x.
inline qdq::TensorMap group(const qdq::TensorMap& m, const std::string& prefix) {
  qdq::TensorMap g;
  for (auto& n : m.names)
    if (n.rfind(prefix, 0) == 0) g.add(n.substr(prefix.size()), m.at(n));
  return g;
}

// Every |got - want| <= atol + rtol |want|; reports the worst element (NaN fails).
inline void check_close(const qdq::Tensor& got, const qdq::Tensor& want, double atol, double rtol,
                        const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  const qdq::Tensor w = want.to_f32();
  double worst = -1e30, worst_abs = 0;
  int64_t at = -1;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got.data<float>()[i], e = w.data<float>()[i];
    const double d = g == e ? 0.0 : std::fabs(g - e);  // equal infinities / finfo.min entries: 0
    const double ex = d - (atol + rtol * std::fabs(e));
    if (!(ex <= worst)) {
      worst = ex;
      worst_abs = d;
      at = i;
    }
  }
  INFO("worst element " << at << ": |diff| " << worst_abs);
  CHECK(worst <= 0);
}

inline double max_abs_diff(const qdq::Tensor& got, const qdq::Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  double m = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got.data<float>()[i], e = want.data<float>()[i];
    const double d = g == e ? 0.0 : std::fabs(g - e);
    if (!(d <= m)) m = d;
  }
  return m;
}

// A directory holding `files` of src as symlinks (e.g. only pytorch_model.bin, so the loader
// cannot pick model.safetensors).
template <class Files>
std::string linked_dir(const std::string& src, const std::string& tag, const Files& files) {
  namespace fs = std::filesystem;
  fs::path d = fs::temp_directory_path() / ("qdqrt_fo_" + tag + "_" + std::to_string(::getpid()));
  fs::create_directories(d);
  for (const char* f : files) {
    fs::path t = d / f;
    if (!fs::exists(t) && fs::exists(fs::path(src) / f)) fs::create_symlink(fs::absolute(fs::path(src) / f), t);
  }
  return d.string();
}

}  // namespace fot
