#pragma once
// What the Hugging Face pipelines make of a BERT head's outputs, one input at
// a time (row b of a batch):
//   feature-extraction: {"embedding"} (pooler, [CLS] or mean pooling)
//   text-classification: {"label", "score", "scores"} (sigmoid for one label, else softmax)
//   question-answering: qa_windows.h (a context read in overlapping windows)
//   token-classification (aggregation "none"): {"entities": [{"entity",
//     "score", "index", "word", "start", "end"}]}, "O" tokens left out as the
//     pipeline's ignore_labels does
//   fill-mask: {"masks": [{"index", "fills": [{"score", "token" (id),
//     "token_str", "sequence"}]}]}, top_k per [MASK]
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "models/bert/heads.h"
#include "models/model.h"
#include "text/tokenizer.h"

namespace qdq::pipelines {

using Record = nlohmann::ordered_json;

struct HeadSpec {
  models::bert::Head head = models::bert::Head::Base;
  std::vector<std::string> labels;  // id2label
  int64_t vocab_size = 0;
  std::string pooling = "cls";  // pooler | cls | mean (bare model)
  int64_t top_k = 5;            // fill-mask candidates
};

// One input as the model saw it.
struct EncodedText {
  std::string text;
  std::optional<std::string> pair;  // text_pair, or the QA context
  text::Encoding enc;
};

Record head_record(const HeadSpec& spec, const text::Tokenizer& tok, const TensorMap& out, int64_t b,
                   const EncodedText& in);

std::vector<float> softmax(const float* x, int64_t n);

}  // namespace qdq::pipelines
