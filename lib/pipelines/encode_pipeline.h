#pragma once
// `encode` without the CLI: texts in, one record per input (and optionally the
// raw output rows) out, in input order. Tokenizes with bounded work
// (bounded_encode.h), warns when it truncates, sorts by length, batches, runs
// the model and applies the head's pipeline post-processing (bert_heads.h).
// Call run() on consecutive windows of the input to stream: results depend on
// neither the window nor the batch size. Question answering runs every
// overlapping window of a long context (qa_windows.h) as its own sequence of
// the batch; the best span over all of them wins.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/bert/task_model.h"
#include "pipelines/bert_heads.h"
#include "pipelines/qa_windows.h"
#include "pipelines/raw_outputs.h"
#include "text/tokenizer.h"

namespace qdq::pipelines {

struct EncodeSettings {
  int64_t max_length = 0;  // 0: min(512, model_max_length, max_position_embeddings)
  std::string truncation = "longest_first";  // or only_first, only_second, do_not_truncate
  int64_t batch_size = 8;
  std::string pooling;  // bare model: pooler | cls | mean; "": pooler when the checkpoint has one, else cls
  int64_t top_k = 0;  // fill-mask: candidates per [MASK] (0: 5); question answering: answers (0: 1)
  // Question answering (qa_windows.h): context tokens shared by consecutive windows (-1: Hugging Face's
  // default min(max_length / 2, 128)), and the longest answer in tokens.
  int64_t doc_stride = -1;
  int64_t max_answer_len = 15;
  bool records = true;  // build the per-input JSON records
  bool raw = false;     // keep every output row for raw()
  // Bare model: the hidden state the embedding is pooled from (Hugging Face's hidden_states[layer]:
  // 0 the embeddings' output, num_hidden_layers the last; negative counts from the end, -1 = last).
  // Unset: the last. No effect on head models (their outputs always come from the last layer).
  std::optional<int64_t> layer;
};

struct TextInput {
  std::string text;
  std::optional<std::string> pair;
  std::string where;  // names the input in messages ("file:line")
};

class EncodePipeline {
 public:
  EncodePipeline(models::bert::BertTaskModel& model, const text::Tokenizer& tok, EncodeSettings s);
  // One record per input, in input order (empty when settings.records is off).
  // Error "<where>: ..." for an input the model cannot take.
  std::vector<Record> run(const std::vector<TextInput>& inputs);
  RawOutputs& raw() { return raw_; }
  int64_t max_length() const { return max_len_; }
  int64_t inputs_done() const { return done_; }
  int64_t truncated() const { return truncated_; }

 private:
  std::vector<Record> run_qa(const std::vector<TextInput>& inputs);

  models::bert::BertTaskModel& model_;
  const text::Tokenizer& tok_;
  EncodeSettings s_;
  HeadSpec spec_;
  QaOptions qa_;
  int64_t max_len_ = 0, done_ = 0, truncated_ = 0, raw_rows_ = 0;
  models::ForwardRequest request_;  // settings.layer as a request for that one hidden state
  // The outputs with last_hidden_state (and pooler_output) taken from the requested layer.
  TensorMap from_layer(const TensorMap& out) const;
  RawOutputs raw_;
};

}  // namespace qdq::pipelines
