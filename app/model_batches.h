#pragma once
// Model input batches for the commands that run a model over a data set
// (calibrate, compare): one batch per --tensors-in FILE[:GROUP], used as
// stored; or texts (positional, -i FILE, stdin) tokenized with the model's
// tokenizer and batched in input order.
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors.h"
#include "text_input.h"

namespace qdq::app {

struct BatchInputOptions {
  TextInputOptions text_in;
  std::vector<std::string> tensors_in;
  int64_t batch_size = 8, max_length = 128;
};

// (where, batch) pairs in order; `where` names the batch in messages. Error for
// both kinds of input at once, an empty tensor group, or a text that does not tokenize.
std::vector<std::pair<std::string, TensorMap>> load_batches(const BatchInputOptions& o, const std::string& model_dir);

}  // namespace qdq::app
