#pragma once
// Bit-exact CPU float32 arithmetic of the PyTorch 1.13 / numpy 1.24 routines
// that pytorch_quantization's histogram calibrator goes through. The calibrated
// amax is a histogram bin edge picked by an argmin, so a count one bin off or a
// sum rounded in another order can pick a different bin: these reproduce the
// reference's evaluation order, not just its formula.
#include <cstdint>
#include <vector>

namespace qdq::quant::torchnum {

// Lanes of ATen's Vectorized<float> on the machine that made the fixtures
// (8: AVX2 build; 16: AVX-512). linspace / arange / sum round differently per lane block.
constexpr int kVecLanes = 8;

// torch.linspace(start, end, steps) in float32 (first half counted from start, second from end).
std::vector<float> linspace(float start, float end, int64_t steps, int lanes = kVecLanes);
// torch.arange(0, end, step) in float32 (length ceil(end / step) in double, values in double).
std::vector<float> arange0(float end, float step, int lanes = kVecLanes);
// torch.histc(x, bins, min, max) (min == max: the data's range; still equal: +-1) added
// to counts[0..bins). Bin of e: (int64)((e - lo) * bins / (hi - lo)) in float32, e == hi in the last bin.
void histc_add(const float* x, int64_t n, int64_t bins, double min, double max, std::vector<int64_t>& counts,
               int lanes = kVecLanes);
// torch.sum of a contiguous float32 vector on the CPU (cascade_sum: per-lane 4-way ILP, 4 levels).
// nz_prefix (optional, n + 1 entries): nz_prefix[k] = how many of v[0..k) may be non-zero;
// all-zero blocks are then skipped (exactly: adding +0 changes no partial sum).
float sum(const float* v, int64_t n, const int64_t* nz_prefix = nullptr, int lanes = kVecLanes);
inline float sum(const std::vector<float>& v) { return sum(v.data(), static_cast<int64_t>(v.size())); }
// np.sum of a contiguous float64 vector (pairwise summation, blocks of 8 under 128); nz_prefix as above.
double np_sum(const double* a, int64_t n, const int64_t* nz_prefix = nullptr);

}  // namespace qdq::quant::torchnum
