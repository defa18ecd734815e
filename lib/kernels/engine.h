#pragma once
// Process-wide oneDNN CPU engine and stream, plus the small helpers every
// kernel file shares. Internal to lib/kernels and lib/layers.
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace qdq::kernels::detail {

dnnl::engine& engine();
dnnl::stream& stream();

// oneDNN eltwise algorithm and alpha/beta for an Activation (None -> false).
bool eltwise_of(Activation act, dnnl::algorithm& alg, float& alpha, float& beta);
// Post-ops holding act (empty for None).
dnnl::post_ops post_ops_of(Activation act);

inline dnnl::memory::dims dims2(int64_t a, int64_t b) { return {a, b}; }

void require_f32(const Tensor& t, const char* what);

// An owned, 64-byte aligned tensor left uninitialised: every kernel output is
// fully overwritten, and Tensor's zero fill would cost a pass over memory
// (~15% of an int8 GEMM for 1024x3072 outputs).
Tensor uninit(DType dtype, Shape shape);

// A oneDNN memory whose storage is a core/big_buffer (huge pages: loading a model faulted in
// every 4 KB page of every reordered weight, 10-20 us each in a VM); `owner` keeps it alive.
dnnl::memory owned_memory(const dnnl::memory::desc& d, std::shared_ptr<void>& owner);

// An F32 torch weight [N, K] (the matmul's [K, N] operand in layout "ba") reordered into `want`,
// stored as owned_memory. Float Linear's weights, and int8 codes as f32 on CPUs without VNNI.
dnnl::memory reorder_f32_weights(const Tensor& w, const dnnl::memory::desc& want, std::shared_ptr<void>& owner);

// `weights` in the layout `want`: one of `copies` when a copy in that layout exists, else a new
// reorder appended to it (storage in `buffers`). For the row counts whose primitive refuses a
// Linear's main weight layout: one copy per layout, however many shapes ask for it.
dnnl::memory weights_in_layout(const dnnl::memory& weights, const dnnl::memory::desc& want,
                               std::vector<dnnl::memory>& copies, std::vector<std::shared_ptr<void>>& buffers);

// Fixed-size key so cache look-ups allocate nothing.
using Key = std::array<int64_t, 8>;
inline int64_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Shape-keyed cache of primitives (and the memory objects they run on, whose
// data handles are swapped per call). Bounded, least recently used out first: each
// primitive holds its JIT kernels, and a stream of new shapes (length-sorted batches,
// decoding steps) kept adding them: at 512 per cache, cleared when full, `compare` over
// the 2,477 dev records of trained/bert-section peaked at 1.2 GB (943 MB at 128, with
// big_buffer's smaller pool). Sorting restarts in every window of records, so shapes do
// recur: at 64, encode of the same records created 30% more primitives and ran 20% slower.
template <class V>
class ShapeCache {
 public:
  template <class Make>
  V& get(const Key& k, Make&& make) {
    auto it = map_.find(k);
    if (it != map_.end()) {
      it->second.used = ++clock_;
      return it->second.value;
    }
    if (map_.size() >= kLimit) {
      auto oldest = map_.begin();
      for (auto i = map_.begin(); i != map_.end(); ++i)
        if (i->second.used < oldest->second.used) oldest = i;
      map_.erase(oldest);
    }
    return map_.emplace(k, Entry{make(), ++clock_}).first->second.value;
  }
  // Held by callers for the whole lookup-and-execute, since the cached
  // memory objects' handles are rewritten per call.
  std::mutex mu;

 private:
  static constexpr size_t kLimit = 128;
  struct Entry {
    V value;
    uint64_t used;
  };
  std::map<Key, Entry> map_;
  uint64_t clock_ = 0;
};

// Attributes of every cached matmul: a user scratchpad, which Prim::run() supplies from one buffer
// per calling thread. oneDNN's default gives each primitive its own (an int8 brgemm's s32
// accumulators: 12 MB at 1024 x 3072), so the caches' memory grew with every new batch shape:
// `compare` over 2,477 records of a 256-wide BERT peaked at 1.2 GB, 0.5 GB of it scratchpads.
dnnl::primitive_attr matmul_attr();
// The calling thread's scratchpad, at least `bytes` long (grown, never shrunk).
void* thread_scratchpad(size_t bytes);

// A primitive with its argument memories.
struct Prim {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  int64_t scratch_bytes = -1;  // the primitive's user scratchpad (0: none), queried on first run
  void run();
  void set(int arg, const void* p) { args.at(arg).set_data_handle(const_cast<void*>(p)); }
};

}  // namespace qdq::kernels::detail
