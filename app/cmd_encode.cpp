// qdqrt encode: text in, embeddings or head outputs out (BERT family).
// Parse, call lib/pipelines, write: inputs are read in windows, each window is
// length-sorted and batched by the pipeline, and its records are written in
// input order (streamed to stdout) before the next window is read.
#include <chrono>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "io/npy.h"
#include "io/path_guard.h"
#include "io/safetensors.h"
#include "model_options.h"
#include "models/bert/task_model.h"
#include "output.h"
#include "pipelines/encode_pipeline.h"
#include "pipelines/multiple_choice.h"
#include "progress.h"
#include "text/tokenizer.h"
#include "text_input.h"

namespace qdq::app {
namespace {

using models::bert::Head;

struct EncodeCli {
  ModelOptions model;
  TextInputOptions text_in;
  OutputOptions out;
  pipelines::EncodeSettings s;
};

const std::vector<std::string> kFormats = {"jsonl", "text", "npy", "safetensors"};

// Inputs per window: enough batches for length sorting to pay off, few enough
// that a pipe sees results while the input still streams in.
constexpr size_t kWindowBatches = 16;

// --output-format text: one line per input (the label, the answer, the
// entities as word/entity, the best fill of each mask, or the embedding).
std::string text_line(const pipelines::Record& r, Head head) {
  std::string s;
  switch (head) {
    case Head::Base:
      for (auto& v : r["embedding"]) s += (s.empty() ? "" : " ") + v.dump();
      break;
    case Head::SequenceClassification:
      s = r["label"].get<std::string>();
      break;
    case Head::QuestionAnswering:
      s = r["answer"].get<std::string>();
      break;
    case Head::TokenClassification:
      for (auto& e : r["entities"])
        s += (s.empty() ? "" : " ") + e["word"].get<std::string>() + "/" + e["entity"].get<std::string>();
      break;
    case Head::MaskedLM:
      for (auto& m : r["masks"]) s += (s.empty() ? "" : " ") + m["fills"][0]["token_str"].get<std::string>();
      break;
    case Head::NextSentencePrediction:
      s = r["label"].get<std::string>();
      break;
    case Head::MultipleChoice:
      s = r["text"].get<std::string>();
      break;
  }
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s + "\n";
}

// Multiple choice: one record per {context, choices} input; windows of inputs read and
// written as they come, each batched by the pipeline.
int run_choices(EncodeCli& o, models::bert::BertTaskModel& model, const text::Tokenizer& tok) {
  check(o.out.format == "jsonl" || o.out.format == "text", "--output-format {}: multiple choice writes jsonl or text",
        o.out.format);
  text::EncodeOptions eo;
  eo.truncate = o.s.truncation != "do_not_truncate";
  eo.truncation = o.s.truncation;
  if (eo.truncate) eo.max_length = o.s.max_length > 0 ? o.s.max_length : std::min<int64_t>(512, model.config().max_position_embeddings);
  TextReader reader(o.text_in, TextKind::Choices);
  LineWriter writer(o.out);
  Progress progress("encode", reader.total());
  const size_t window = static_cast<size_t>(o.s.batch_size) * kWindowBatches;
  size_t n = 0;
  for (bool more = true; more;) {
    std::vector<pipelines::ChoiceInput> inputs;
    std::vector<nlohmann::json> ids;
    TextItem item;
    while (inputs.size() < window && (more = reader.next(item))) {
      inputs.push_back({std::move(item.text), std::move(item.choices), item.where});
      ids.push_back(std::move(item.id));
    }
    if (inputs.empty()) break;
    const auto recs = pipelines::multiple_choice(model, tok, inputs, eo, model.config().max_position_embeddings,
                                                 o.s.batch_size);
    std::string chunk;
    for (size_t i = 0; i < recs.size(); ++i) {
      if (o.out.format == "text") {
        chunk += text_line(recs[i], Head::MultipleChoice);
        continue;
      }
      pipelines::Record r;
      if (!ids[i].is_null()) r["id"] = ids[i];
      r.update(recs[i]);
      chunk += r.dump() + "\n";
    }
    writer.write(chunk);
    progress.advance(static_cast<int64_t>(inputs.size()));
    n += inputs.size();
  }
  progress.finish();
  if (n == 0) warn_empty_input(reader.name());
  writer.commit();
  return 0;
}

int run_encode(EncodeCli& o, const CLI::App& sub) {
  prepare_output(o.out, kFormats);
  refuse_overwriting_inputs({o.model.model_dir, o.model.amax_path, o.text_in.input}, {o.out.path});
  auto model = load_model_for(o.model);
  auto* bert = dynamic_cast<models::bert::BertTaskModel*>(model.get());
  check(bert != nullptr, "encode: {} is not a BERT-family model (use generate for ProphetNet)", model->arch());
  const Head head = bert->head();
  const std::string& fmt = o.out.format;
  check(fmt != "npy" || head == Head::Base || head == Head::SequenceClassification,
        "--output-format npy holds one array (embeddings or sequence logits); use safetensors for {}", bert->arch());
  warn_no_effect(sub, "--pooling", head != Head::Base, "for " + bert->arch() + " (only the bare model pools)");
  warn_no_effect(sub, "--top-k", head != Head::MaskedLM && head != Head::QuestionAnswering,
                 "for " + bert->arch() + " (only fill-mask and question answering rank candidates)");
  for (const char* f : {"--doc-stride", "--max-answer-len"})
    warn_no_effect(sub, f, head != Head::QuestionAnswering, "for " + bert->arch() + " (question answering only)");
  warn_no_effect(sub, "--layer", head != Head::Base,
                 "on the head outputs of " + bert->arch() + " (they always come from the last layer)");
  auto tok = text::load_tokenizer(o.model.model_dir);
  if (head == Head::MultipleChoice) return run_choices(o, *bert, *tok);
  const bool line_output = fmt == "jsonl" || fmt == "text";
  const bool npy_embedding = fmt == "npy" && head == Head::Base;  // the pooled embedding the records hold
  o.s.records = line_output || npy_embedding;
  o.s.raw = !o.s.records;
  pipelines::EncodePipeline pipe(*bert, *tok, o.s);

  TextReader reader(o.text_in, head == Head::QuestionAnswering ? TextKind::QuestionContext : TextKind::Pair);
  std::unique_ptr<LineWriter> lines;
  if (line_output) lines = std::make_unique<LineWriter>(o.out);
  std::vector<float> embeddings;
  nlohmann::json all_ids = nlohmann::json::array();  // binary outputs: the records' ids, in input order
  bool any_id = false;
  Progress progress("encode", reader.total());
  const size_t window = static_cast<size_t>(o.s.batch_size) * kWindowBatches;
  const auto t0 = std::chrono::steady_clock::now();
  double model_s = 0;
  for (bool more = true; more;) {
    std::vector<pipelines::TextInput> inputs;
    std::vector<nlohmann::json> ids;
    TextItem item;
    while (inputs.size() < window && (more = reader.next(item))) {
      inputs.push_back({std::move(item.text), std::move(item.pair), item.where});
      any_id = any_id || !item.id.is_null();
      all_ids.push_back(item.id);
      ids.push_back(std::move(item.id));
    }
    if (inputs.empty()) break;
    const auto w0 = std::chrono::steady_clock::now();
    auto records = pipe.run(inputs);
    model_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    if (line_output) {
      std::string chunk;
      for (size_t i = 0; i < records.size(); ++i) {
        if (fmt == "text") {
          chunk += text_line(records[i], head);
          continue;
        }
        pipelines::Record r;
        if (!ids[i].is_null()) r["id"] = ids[i];
        r.update(records[i]);
        chunk += r.dump() + "\n";
      }
      lines->write(chunk);
    } else if (npy_embedding) {
      for (auto& r : records)
        for (auto& v : r["embedding"]) embeddings.push_back(v.get<float>());
    }
    progress.advance(static_cast<int64_t>(inputs.size()));
  }
  progress.finish();
  const int64_t n = pipe.inputs_done();
  if (n == 0) warn_empty_input(reader.name());
  if (pipe.truncated() > 0) spdlog::warn("{} of {} inputs truncated to {} tokens", pipe.truncated(), n, pipe.max_length());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Tokenization + model time (no load): what scripts/bench.sh reads.
  if (n > 0) spdlog::info("encoded {} sequences in {:.3f} s ({:.2f} sequences/s)", n, secs, static_cast<double>(n) / secs);
  spdlog::debug("encode: {:.3f} s in the pipeline", model_s);

  if (lines) {
    lines->commit();
  } else {
    // npy holds one bare array: no room for ids (safetensors keeps them in its metadata).
    if (fmt == "npy" && any_id)
      spdlog::warn("{}: rows are in input order; the records' ids are not stored in .npy (use --output-format "
                   "safetensors to keep them)", o.out.path);
    if (npy_embedding) {
      const int64_t H = n > 0 ? static_cast<int64_t>(embeddings.size()) / n : bert->config().hidden_size;
      write_npy(o.out.path, Tensor::from_vector(embeddings, {n, H}));
    } else if (fmt == "npy") {
      write_npy(o.out.path, n > 0 ? pipe.raw().gather().at("logits")
                                  : Tensor::from_vector(std::vector<float>{}, {0, bert->config().num_labels()}));
    } else {
      TensorMap all = n > 0 ? pipe.raw().gather() : TensorMap{};
      if (any_id) all.metadata["ids"] = all_ids.dump();
      write_safetensors(o.out.path, all);
    }
  }
  return 0;
}

const RegisterCommand reg{
    {"encode", "Text in, embeddings or head outputs out (BERT family: classification, QA, NER, fill-mask, multiple choice, NSP)", 10,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<EncodeCli>();
       add_model_options(sub, o->model);
       add_text_input_options(sub, o->text_in,
                              "Texts to encode (a tab separates a text pair, or a question and its context; JSONL "
                              "takes {\"text\", \"text_pair\", \"id\"} or {\"question\", \"context\", \"id\"}; multiple choice: "
                              "{\"context\", \"choices\": [...]}, or tab-separated context and choices)");
       add_output_options(sub, o->out, kFormats,
                          "jsonl (one record per input), text (one line per input), npy or safetensors (raw output "
                          "tensors; the records' ids in the safetensors metadata)");
       flag(sub, "--max-length", o->s.max_length);
       flag(sub, "--truncation", o->s.truncation);
       flag(sub, "--batch-size", o->s.batch_size);
       flag(sub, "--pooling", o->s.pooling);
       flag(sub, "--top-k", o->s.top_k);
       // --layer: the bare model's embedding from another layer's hidden state (issue 22).
       flag(sub, "--layer", o->s.layer);
       flag(sub, "--doc-stride", o->s.doc_stride);
       flag(sub, "--max-answer-len", o->s.max_answer_len);
       return std::function<int()>([o, &sub] {
         warn_no_effect(sub, "--max-length", o->s.truncation == "do_not_truncate", "with --truncation do_not_truncate");
         return run_encode(*o, sub);
       });
     }}};

}  // namespace
}  // namespace qdq::app
