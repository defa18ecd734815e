#pragma once
// Calibration batches built from text, for every model family, so that
// `qdqrt calibrate` runs each model the way it runs at inference:
//   * BERT family: text (and text_pair) tokenized with special tokens; multiple
//     choice: [batch, choices, T] of (context, choice) pairs, consecutive records
//     with the same number of choices in one batch, as `encode` runs them.
//   * ProphetNetForCausalLM: the prompts, tokenized as `generate` tokenizes them
//     (no special tokens: [SEP] is also the eos).
//   * Encoder-decoder (ProphetNetForConditionalGeneration, EncoderDecoderModel):
//     the source through the encoder, and teacher forcing for the decoder, as in
//     Hugging Face training: decoder_input_ids = shift_right(tok(target)) =
//     [decoder start] + the target's word pieces, at most max_target_length tokens.
//     A record without a target gets the fp32 model's greedy output on its source
//     instead (logged), so that sources alone calibrate the decoder too.
// Texts are batched in input order (histogram calibration depends on the
// order); padding is part of the statistics, as in pytorch_quantization.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "models/model.h"

namespace qdq::pipelines {

struct CalibrationRecord {
  std::string text;                   // BERT text, encoder source, causal-LM prompt, or a multiple-choice context
  std::optional<std::string> pair;    // BERT text_pair (or the context of a question)
  std::optional<std::string> target;  // encoder-decoder: the decoder's text (teacher forcing)
  std::vector<std::string> choices;   // multiple choice: the candidates, each paired with `text` as encode pairs them
  std::string where;                  // "file:line", for messages; "" names it "calibration text N"
};

struct CalibrationInputOptions {
  int64_t batch_size = 8;
  int64_t max_length = 128;         // source / prompt / BERT tokens (truncated beyond)
  int64_t max_target_length = 128;  // decoder tokens, start token included (HF run_summarization's name)
  // Called after each batch whose targets were generated, with the texts generated so far and
  // how many need it in all (generation can take a while: the caller shows progress).
  std::function<void(int64_t done, int64_t total)> on_generated;
};

struct CalibrationBatch {
  std::string where;  // "texts 9-16", for messages
  TensorMap tensors;  // the forward's inputs under Hugging Face names
};

// The batches for `model` (loaded from model_dir, whose tokenizer files are
// read). Sources without a target are generated greedily, so the model must
// still run fp32 (quantizers Disabled) when this is called. Error "calibration
// text N: ..." for a text that cannot be used (no tokens for a prompt, or a
// target given to a model without a decoder), before any generation runs.
std::vector<CalibrationBatch> calibration_batches(models::Model& model, const std::string& model_dir,
                                                  const std::vector<CalibrationRecord>& records,
                                                  const CalibrationInputOptions& o);

}  // namespace qdq::pipelines
