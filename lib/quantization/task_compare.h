#pragma once
// The task metric of two precisions side by side (compare's "task" section):
// each precision runs the task on the same records (task_eval.h); with
// references both are scored against them, and in any case the test
// precision's outputs are compared with the reference precision's (agreement).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "quantization/compare.h"
#include "quantization/task_eval.h"

namespace qdq::quantization {

struct TaskRow {
  std::string metric;
  double ref = 0, test = 0;  // reference precision, test precision
  bool higher_is_better = true;
};

struct Speed {
  double seconds = 0;
  int64_t sequences = 0, tokens = 0;  // tokens: generated (generate) or scored (LM); 0 for encoders
};

struct TaskComparison {
  TaskKind kind = TaskKind::Classify;
  size_t records = 0;
  bool references = false;
  std::vector<TaskRow> rows;  // the metrics against the references, then agreement with the reference precision
  Speed ref_speed, test_speed;
};

// Loads the model, its amax values set for a quantized test.
using ModelLoader = std::function<std::unique_ptr<models::Model>()>;

// Runs the task in opts.against (fp32 or fake quant) and in opts.test (int8, fake quant, or bf16 GEMMs),
// each on a model of its own (`load` is called twice): the kernels one precision cached for every
// batch shape of the length-sorted records are freed before the other runs, so the peak is one
// precision's, not their sum.
TaskComparison compare_task(const ModelLoader& load, const std::string& model_dir, const std::vector<EvalRecord>& recs,
                            const TaskSettings& s, const CompareOptions& opts);

}  // namespace qdq::quantization
