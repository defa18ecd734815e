#pragma once
// The two losses users get from transformers for these models.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace qdq::models::prophetnet {

constexpr int64_t kIgnoreIndex = -100;

// ProphetNetForConditionalGeneration/ForCausalLM._compute_loss: every predicting
// stream is scored against the same (unshifted) labels; mean NLL over labels
// != -100, then label smoothing eps: (1-eps)*nll + eps/V * mean(-sum log p).
// predict_logits [B, ngram, T, V]; labels [B*T].
float prophetnet_loss(const Tensor& predict_logits, const std::vector<int64_t>& labels, double eps,
                      bool disable_ngram_loss);

// torch.nn.CrossEntropyLoss() (mean over labels != -100): EncoderDecoderModel's loss. logits [B, T, V].
float cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels);

}  // namespace qdq::models::prophetnet
