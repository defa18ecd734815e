#pragma once
// Attention products in their general form, for decoders: Tq queries
// [B*Tq, H*d] over Tk keys/values stored as B blocks of kv_rows >= Tk rows (a
// KV cache's capacity; cross-attention: the encoder length), with an additive
// mask [B, mask_q, Tk] (mask_q 1 broadcasts it over the queries, mask_q = Tq
// gives one row per query: causal). The [B*T, H*d] functions of ops.h /
// int8.h are the case Tq = Tk = kv_rows = T, mask_q = 1.
#include "core/tensor.h"
#include "kernels/int8.h"

namespace qdq::kernels {

struct AttnDims {
  int64_t B, Tq, Tk, kv_rows, mask_q;
};

// scores [B, H, Tq, Tk] = alpha * Q_h K_h^T (+ mask); ctx [B*Tq, H*d] = P_h V_h.
Tensor attention_scores(const Tensor& q, const Tensor& k, const AttnDims& d, int64_t H, float alpha,
                        const float* mask_add);
Tensor attention_context(const Tensor& p, const Tensor& v, const AttnDims& d, int64_t H);
// On quantized operands, as attention_scores_int8 / attention_context_int8 in int8.h.
Tensor attention_scores_int8(const Tensor& q, float scale_q, const Tensor& k, float scale_k, const AttnDims& d,
                             int64_t H, float alpha, const float* mask_add);
Tensor attention_context_int8(const Tensor& p, float scale_p, const Tensor& v, float scale_v, const AttnDims& d,
                              int64_t H, DType out = DType::F32, float out_scale = 1.0f);

// Int8 attention probabilities from unmasked scores [B, H, Tq, Tk] (modified in place): the mask
// added, softmax over the keys, and the result written as P's quantizer codes (round half to even,
// saturated; U8 when is_unsigned, else I8), in two oneDNN passes. Cheaper than masking in the
// scores matmul (a broadcast binary post-op there costs 3 to 4x the product itself: 1.1-1.4 vs
// 0.31 ms at 8 x 12 x 128 x 64, one thread) followed by an f32 softmax and a separate quantize pass.
Tensor attention_probs_int8(Tensor& scores, const float* mask_add, const AttnDims& d, float scale, bool is_unsigned);

}  // namespace qdq::kernels
