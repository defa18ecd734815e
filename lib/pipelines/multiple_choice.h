#pragma once
// Multiple choice (QDQBertForMultipleChoice) without the CLI: each input is a
// context with its candidate continuations; the (context, choice) pairs of up
// to batch_size inputs with the same number of choices run as one
// [batch, num_choices, T] forward, as a Hugging Face user feeds them (padding
// is masked, so a record never depends on its batch). Softmax over the
// choices: {"choice", "text", "score", "scores"}, in input order.
#include <string>
#include <vector>

#include "models/model.h"
#include "pipelines/bert_heads.h"
#include "text/tokenizer.h"

namespace qdq::pipelines {

struct ChoiceInput {
  std::string context;
  std::vector<std::string> choices;
  std::string where;  // names the input in messages ("file:line")
};

// The model's [nb, nc, T] input from nb * nc (context, choice) encodings, input-major, padded to the
// longest (calibration batches are built the same way).
TensorMap pad_choices(const std::vector<text::Encoding>& flat, int64_t nb, int64_t nc, const text::Tokenizer& tok);

// max_positions: the model's position table; a pair longer than it is an error naming the input.
std::vector<Record> multiple_choice(models::Model& model, const text::Tokenizer& tok,
                                    const std::vector<ChoiceInput>& inputs, const text::EncodeOptions& eo,
                                    int64_t max_positions, int64_t batch_size);

}  // namespace qdq::pipelines
