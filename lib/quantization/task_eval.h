#pragma once
// A model's task metric on records, in whatever precision the model is prepared
// for: the outputs users read (a classifier's label, a QA answer span, generated
// text, a causal LM's loss) scored against the records' references, or, without
// references, against another precision's outputs (agreement).
//   classification (BERT ForSequenceClassification): accuracy, macro-F1 over "label"
//   question answering (BERT ForQuestionAnswering): SQuAD v1.1 exact match and F1 over "answers"
//   generation (encoder-decoder, or a causal LM without "target"): exact match and ROUGE-L F1 of
//     the generated text (decoded without special tokens) against "target" (metrics.h's words)
//   causal LM with "target": the mean cross-entropy of the continuation's tokens given the prompt
//     ("text"), over all continuation tokens of all records (stream 0's logits; prompt and
//     continuation tokenized apart, without special tokens), and its perplexity exp(loss)
#include <cstdint>
#include <string>
#include <vector>

#include "decoding/options.h"
#include "models/model.h"
#include "quantization/eval_set.h"

namespace qdq::quantization {

enum class TaskKind { Classify, Answer, Generate, LanguageModel };

struct TaskSettings {
  int64_t max_length = 0;  // BERT tokens, sources / prompts (generation), prompt + continuation (LM); 0: the model's
  int64_t batch_size = 8;
  decoding::Options generation;  // the caller fills it (the model's generation defaults + flags)
};

struct TaskOutputs {
  TaskKind kind = TaskKind::Classify;
  std::vector<std::string> texts;          // label (classify), answer (QA), generated text (generate)
  std::vector<std::vector<int64_t>> ids;   // generate: the generated sequences
  std::vector<std::string> label_names;    // classify: id2label (integer "label" references index it)
  double nll_sum = 0;                      // LM: summed over every continuation token
  int64_t nll_tokens = 0;
  double seconds = 0;                      // wall time of the model work
  int64_t sequences = 0, tokens = 0;       // speed: inputs, and new (generate) or scored (LM) tokens
};

struct Metric {
  std::string name;  // accuracy, macro_f1, exact_match, rouge_l, squad_em, squad_f1, loss, perplexity, agreement
  double value = 0;
  bool higher_is_better = true;
};

// The task a model runs on records with this reference kind (eval_set.h's reference_kind). Error
// for a model or reference the metrics do not cover (e.g. "label" for a generator).
TaskKind task_of(models::Model& model, const std::string& reference_kind);

// Why the records cannot be scored for this model ("" when they can): no task metric for the
// model's head, a QA record without a context. Records that carry references only in part lose
// them (with a warning): they are then compared for agreement only.
std::string task_unavailable(models::Model& model, std::vector<EvalRecord>& recs);

// Runs the task on every record, in input order. `dir` holds the model's tokenizer files.
TaskOutputs run_task(models::Model& model, const std::string& dir, TaskKind kind, const std::vector<EvalRecord>& recs,
                     const TaskSettings& s);

// The metrics against the records' references; the first is the one accuracy-driven tuning uses.
std::vector<Metric> score(const TaskOutputs& out, const std::vector<EvalRecord>& recs);
// Without references: the fraction of records whose output equals the reference precision's
// (same label, same answer span, identical generated ids); LM: the test loss and its difference.
std::vector<Metric> agreement(const TaskOutputs& ref, const TaskOutputs& test);

}  // namespace qdq::quantization
