#include "pipelines/encode_pipeline.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "pipelines/batching.h"
#include "pipelines/bounded_encode.h"

namespace qdq::pipelines {

using models::bert::Head;

EncodePipeline::EncodePipeline(models::bert::BertTaskModel& model, const text::Tokenizer& tok, EncodeSettings s)
    : model_(model), tok_(tok), s_(std::move(s)) {
  const auto& cfg = model.config();
  spec_.head = model.head();
  spec_.labels = cfg.id2label;
  spec_.vocab_size = cfg.vocab_size;
  spec_.top_k = s_.top_k > 0 ? s_.top_k : 5;
  spec_.pooling = s_.pooling.empty() ? (model.has_pooler() ? "pooler" : "cls") : s_.pooling;
  check(spec_.pooling != "pooler" || model.has_pooler(), "--pooling pooler: {} has no pooler weights", model.arch());
  if (s_.layer && spec_.head == Head::Base) {
    const int64_t L = cfg.num_hidden_layers, k = *s_.layer;
    check(k >= -(L + 1) && k <= L, "--layer {}: {} has hidden states 0..{} (or -{}..-1 from the end)", k,
          model.arch(), L, L + 1);
    request_.hidden_states = true;
    request_.only_hidden_state = k < 0 ? L + 1 + k : k;
  }
  max_len_ = s_.max_length;
  if (max_len_ <= 0) {
    max_len_ = 512;
    if (tok.model_max_length() > 0) max_len_ = std::min(max_len_, tok.model_max_length());
    max_len_ = std::min(max_len_, cfg.max_position_embeddings);
  }
  check(s_.truncation == "do_not_truncate" || max_len_ <= cfg.max_position_embeddings,
        "--max-length {}: the model's position table holds max_position_embeddings = {} tokens", max_len_,
        cfg.max_position_embeddings);
  qa_.max_length = max_len_;
  qa_.doc_stride = s_.doc_stride >= 0 ? s_.doc_stride : default_doc_stride(max_len_);
  qa_.max_answer_len = s_.max_answer_len;
  qa_.top_k = s_.top_k > 0 ? s_.top_k : 1;
  qa_.split = s_.truncation != "do_not_truncate";
  check(qa_.max_answer_len >= 1, "--max-answer-len {}: must be at least 1", qa_.max_answer_len);
}

// Every window of every input is one row of the length-sorted batches; the
// spans of each window are kept per input and merged once all are done.
std::vector<Record> EncodePipeline::run_qa(const std::vector<TextInput>& inputs) {
  const auto& cfg = model_.config();
  std::vector<QaExample> ex(inputs.size());
  struct Row {
    size_t input, window;
  };
  std::vector<Row> rows;
  std::vector<int64_t> lengths;
  for (size_t i = 0; i < inputs.size(); ++i) {
    check(inputs[i].pair.has_value(), "{}: question answering needs a context (a tab between question and context, "
          "or a JSONL \"context\")", inputs[i].where);
    try {
      ex[i] = qa_windows(tok_, inputs[i].text, *inputs[i].pair, qa_);
    } catch (const Error& err) {
      throw Error("{}: {}", inputs[i].where, err.what());
    }
    for (size_t w = 0; w < ex[i].windows.size(); ++w) {
      const int64_t n = static_cast<int64_t>(ex[i].windows[w].input_ids.size());
      check(n <= cfg.max_position_embeddings, "{}: {} tokens, more than max_position_embeddings {} (drop --truncation {})",
            inputs[i].where, n, cfg.max_position_embeddings, s_.truncation);
      rows.push_back({i, w});
      lengths.push_back(n);
    }
    if (ex[i].windows.size() > 1)
      spdlog::debug("{}: the context is read in {} windows (--max-length {}, --doc-stride {})", inputs[i].where,
                    ex[i].windows.size(), qa_.max_length, qa_.doc_stride);
  }
  std::vector<std::vector<std::vector<QaSpan>>> spans(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) spans[i].resize(ex[i].windows.size());
  for (const auto& batch_rows : length_sorted_batches(lengths, s_.batch_size)) {
    std::vector<text::Encoding> batch;
    for (size_t r : batch_rows) batch.push_back(ex[rows[r].input].windows[rows[r].window]);
    const TensorMap in = text::pad_batch(batch, tok_.pad_id(), tok_.has_token_type_ids());
    const TensorMap out = model_.forward(in);
    const int64_t T = out.at("start_logits").dim(1);
    for (size_t k = 0; k < batch_rows.size(); ++k) {
      const Row& row = rows[batch_rows[k]];
      const int64_t b = static_cast<int64_t>(k);
      if (s_.records)
        spans[row.input][row.window] = qa_window_spans(out.at("start_logits").data<float>() + b * T,
                                                       out.at("end_logits").data<float>() + b * T, tok_,
                                                       ex[row.input], row.window, qa_);
      // Raw outputs: one row per window, in input and window order.
      if (s_.raw) raw_.add(static_cast<size_t>(raw_rows_) + batch_rows[k], out, b, lengths[batch_rows[k]]);
    }
  }
  raw_rows_ += static_cast<int64_t>(rows.size());
  done_ += static_cast<int64_t>(inputs.size());
  std::vector<Record> records(s_.records ? inputs.size() : 0);
  for (size_t i = 0; i < records.size(); ++i) records[i] = qa_record(spans[i], ex[i], qa_.top_k);
  return records;
}

std::vector<Record> EncodePipeline::run(const std::vector<TextInput>& inputs) {
  if (spec_.head == Head::QuestionAnswering) return run_qa(inputs);
  const auto& cfg = model_.config();
  text::EncodeOptions eo;
  eo.truncate = s_.truncation != "do_not_truncate";
  eo.truncation = s_.truncation;
  if (eo.truncate) eo.max_length = max_len_;
  std::vector<EncodedText> encs(inputs.size());
  std::vector<int64_t> lengths(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    BoundedEncoding be;
    try {
      be = encode_bounded(tok_, inputs[i].text, inputs[i].pair, eo);
    } catch (const Error& err) {
      throw Error("{}: {}", inputs[i].where, err.what());
    }
    const int64_t n = static_cast<int64_t>(be.encoding.input_ids.size());
    check(n <= cfg.max_position_embeddings, "{}: {} tokens, more than max_position_embeddings {} (drop --truncation {})",
          inputs[i].where, n, cfg.max_position_embeddings, s_.truncation);
    if (be.truncated) {
      if (++truncated_ <= 10)
        spdlog::warn("{}: truncated to {} tokens (--max-length {}, --truncation {})", inputs[i].where, n, max_len_,
                     s_.truncation);
      else if (truncated_ == 11)
        spdlog::warn("more inputs truncated; not naming each (the total is logged at the end)");
    }
    encs[i] = {inputs[i].text, inputs[i].pair, std::move(be.encoding)};
    lengths[i] = n;
  }
  std::vector<Record> records(s_.records ? inputs.size() : 0);
  for (const auto& rows : length_sorted_batches(lengths, s_.batch_size)) {
    std::vector<text::Encoding> batch;
    for (size_t i : rows) batch.push_back(encs[i].enc);
    const TensorMap in = text::pad_batch(batch, tok_.pad_id(), tok_.has_token_type_ids());
    const TensorMap out = request_.any() ? from_layer(model_.forward(in, request_)) : model_.forward(in);
    for (size_t k = 0; k < rows.size(); ++k) {
      const size_t i = rows[k];
      const int64_t b = static_cast<int64_t>(k);
      if (s_.records) records[i] = head_record(spec_, tok_, out, b, encs[i]);
      if (s_.raw) raw_.add(done_ + i, out, b, lengths[i]);
    }
  }
  done_ += static_cast<int64_t>(inputs.size());
  return records;
}

TensorMap EncodePipeline::from_layer(const TensorMap& out) const {
  const std::string name = "hidden_states." + std::to_string(request_.only_hidden_state);
  const Tensor& hs = out.at(name);
  TensorMap m;
  for (auto& n : out.names) {
    if (n == name) continue;
    if (n == "last_hidden_state") m.add(n, hs);
    else if (n == "pooler_output") m.add(n, model_.pool(hs));  // the pooler on that layer's [CLS]
    else m.add(n, out.tensors.at(n));
  }
  return m;
}

}  // namespace qdq::pipelines
