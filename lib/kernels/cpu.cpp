// What the CPU's oneDNN dispatches to (kernels/cpu.h, ops.h). The effective ISA, not cpuid, so that
// ONEDNN_MAX_CPU_ISA (which the tests use to run the AVX2 paths on any machine) is honoured.
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "kernels/cpu.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using isa_t = dnnl::cpu_isa;

bool cpu_has_bf16() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == isa_t::avx512_core_bf16 || isa == isa_t::avx512_core_amx;
}

bool cpu_has_vnni() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == isa_t::avx512_core_vnni || isa == isa_t::avx512_core_bf16 || isa == isa_t::avx512_core_amx ||
         isa == isa_t::avx2_vnni;
}

bool cpu_has_brgemm() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == isa_t::avx512_core || isa == isa_t::avx512_core_vnni || isa == isa_t::avx512_core_bf16 ||
         isa == isa_t::avx512_core_amx;
}

std::string cpu_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case isa_t::sse41: return "sse41";
    case isa_t::avx: return "avx";
    case isa_t::avx2: return "avx2";
    case isa_t::avx2_vnni: return "avx2_vnni";
    case isa_t::avx512_core: return "avx512_core";
    case isa_t::avx512_core_vnni: return "avx512_core_vnni";
    case isa_t::avx512_core_bf16: return "avx512_core_bf16";
    case isa_t::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

}  // namespace qdq::kernels
