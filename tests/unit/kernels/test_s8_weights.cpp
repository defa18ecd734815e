// The fast s8 weight reorder (oneDNN's blocked reorder + our own compensation)
// writes exactly the bytes oneDNN's compensating reorder writes.
#include <doctest/doctest.h>

#include <random>

#include "kernels/cpu.h"
#include "kernels/engine.h"
#include "kernels/s8_weights.h"

using namespace qdq;
using dnnl::memory;

TEST_CASE("reorder_s8_weights: byte-identical to oneDNN's reorder, odd and bert-sized shapes") {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> d(-128, 127);
  for (auto [N, K] : {std::pair<int64_t, int64_t>{7, 5}, {64, 64}, {30, 17}, {3072, 768}, {768, 3072}, {2, 1024}}) {
    CAPTURE(N);
    CAPTURE(K);
    Tensor codes(DType::I8, {N, K});
    for (int64_t i = 0; i < N * K; ++i) codes.data<int8_t>()[i] = static_cast<int8_t>(d(rng));
    for (int64_t M : {1, 128}) {
      // The weights layout the s8-source int8 matmul asks for (as Int8Linear builds it).
      memory::desc src({M, K}, memory::data_type::s8, memory::format_tag::ab);
      memory::desc wany({K, N}, memory::data_type::s8, memory::format_tag::any);
      memory::desc dst({M, N}, memory::data_type::f32, memory::format_tag::ab);
      dnnl::primitive_attr attr;
      attr.set_output_scales(1 << 1, std::vector<float>(N, 0.5f));
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wany, dst), attr, kernels::detail::engine());
      const memory::desc wd = pd.weights_desc();
      std::shared_ptr<void> fast_buf, ref_buf;
      memory fast = kernels::detail::reorder_s8_weights(codes, wd, fast_buf, true);
      memory ref = kernels::detail::reorder_s8_weights(codes, wd, ref_buf, false);
      REQUIRE(wd.get_size() > 0);
      // With VNNI (the only CPUs where Int8Linear takes s8 weights, kernels/cpu.h) the layout carries
      // the compensation, else the fast path is not what runs; oneDNN allocates some bytes past it
      // that neither reorder writes: compare the blocked data and the compensation. Without VNNI
      // (ONEDNN_MAX_CPU_ISA=AVX2) the layout is plain and both take oneDNN's reorder.
      const bool comp = (wd.data.extra.flags & dnnl_memory_extra_flag_compensation_conv_s8s8) != 0;
      if (kernels::cpu_has_vnni()) REQUIRE(comp);
      dnnl_memory_desc_t body = wd.data;
      body.extra = dnnl_memory_extra_desc_t{};
      const size_t used =
          comp ? memory::desc(body).get_size() + sizeof(int32_t) * wd.data.padded_dims[1] : wd.get_size();
      REQUIRE(used <= wd.get_size());
      const auto* a = static_cast<const uint8_t*>(fast.get_data_handle());
      const auto* b = static_cast<const uint8_t*>(ref.get_data_handle());
      size_t ndiff = 0;
      for (size_t i = 0; i < used; ++i) ndiff += a[i] != b[i];
      CHECK(ndiff == 0);
    }
  }
}
