#pragma once
// s8 matmul weights into the layout oneDNN's primitive asks for. With an s8
// source the layout carries the s8 x s8 compensation (-128 * the column sums
// of the [K, N] weights, int32, after the blocked data); oneDNN 2.6 writes it
// with its `simple:any` reorder at ~330 MB/s (1 s for prophetnet-large at every
// start). Here the blocked part goes through oneDNN's fast reorder and the
// compensation is computed directly from the [N, K] codes. Internal to lib/kernels.
#include <oneapi/dnnl/dnnl.hpp>

#include "core/tensor.h"

namespace qdq::kernels::detail {

// codes: I8 [N, K]; wdesc: the matmul's weights_desc() for the [K, N] operand.
// fast = false forces oneDNN's own reorder (the reference the fast path is tested against).
// owner: keeps the returned memory's storage (a core/big_buffer) alive.
dnnl::memory reorder_s8_weights(const Tensor& codes, const dnnl::memory::desc& wdesc, std::shared_ptr<void>& owner,
                                bool fast = true);

}  // namespace qdq::kernels::detail
