#include "quantization/task_eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "models/bert/task_model.h"
#include "models/generative.h"
#include "pipelines/encode_pipeline.h"
#include "pipelines/generate_pipeline.h"
#include "quantization/metrics.h"
#include "text/tokenizer.h"

namespace qdq::quantization {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TaskOutputs run_encode(models::bert::BertTaskModel& m, const std::string& dir, TaskKind kind,
                       const std::vector<EvalRecord>& recs, const TaskSettings& s) {
  auto tok = text::load_tokenizer(dir);
  pipelines::EncodeSettings es;
  es.max_length = s.max_length;
  es.batch_size = s.batch_size;
  pipelines::EncodePipeline pipe(m, *tok, es);
  std::vector<pipelines::TextInput> in;
  for (auto& r : recs) in.push_back({r.text, r.pair, r.where});
  TaskOutputs out;
  out.kind = kind;
  out.label_names = m.config().id2label;
  const auto t0 = std::chrono::steady_clock::now();
  const auto records = pipe.run(in);
  out.seconds = seconds_since(t0);
  const char* key = kind == TaskKind::Classify ? "label" : "answer";
  for (auto& r : records) out.texts.push_back(r.contains(key) ? r[key].get<std::string>() : "");
  out.sequences = static_cast<int64_t>(recs.size());
  return out;
}

std::unique_ptr<text::Tokenizer> decoder_tokenizer(models::Generative& g, const std::string& dir,
                                                   const text::Tokenizer& src) {
  // EncoderDecoderModel with a BERT encoder: the decoder's text uses prophetnet.tokenizer when present.
  if (g.is_encoder_decoder() && src.kind() == "bert") {
    try {
      return text::load_tokenizer(dir, "prophetnet");
    } catch (const Error&) {
    }
  }
  return nullptr;
}

TaskOutputs run_generate(models::Generative& g, const std::string& dir, const std::vector<EvalRecord>& recs,
                         const TaskSettings& s) {
  auto src = text::load_tokenizer(dir);
  auto dec = decoder_tokenizer(g, dir, *src);
  pipelines::GenerateSettings gs;
  gs.options = s.generation;
  gs.options.num_return_sequences = 1;
  gs.batch_size = s.batch_size;
  gs.include_prompt = false;  // a causal LM's continuation is what is scored
  gs.max_input_length = s.max_length;
  pipelines::GeneratePipeline pipe(g, *src, dec ? *dec : *src, gs);
  std::vector<pipelines::GenerateInput> in;
  for (size_t i = 0; i < recs.size(); ++i) in.push_back({recs[i].text, recs[i].id, i, recs[i].where});
  TaskOutputs out;
  out.kind = TaskKind::Generate;
  const auto t0 = std::chrono::steady_clock::now();
  const auto gens = pipe.run(in);
  out.seconds = seconds_since(t0);
  for (size_t i = 0; i < gens.size(); ++i) {
    out.texts.push_back(gens[i].at(0).text);
    out.ids.push_back(gens[i].at(0).ids);
  }
  out.sequences = static_cast<int64_t>(recs.size());
  // New tokens: the sequence past the source's decoder start, or past the prompt.
  for (size_t i = 0; i < gens.size(); ++i) {
    const int64_t prefix =
        g.is_encoder_decoder()
            ? 1
            : static_cast<int64_t>(src->encode(recs[i].text, std::nullopt, [&] {
                                         text::EncodeOptions eo;
                                         eo.add_special_tokens = false;
                                         eo.truncate = true;
                                         eo.max_length = s.max_length;
                                         return eo;
                                       }())
                                       .input_ids.size());
    out.tokens += std::max<int64_t>(0, static_cast<int64_t>(out.ids[i].size()) - prefix);
  }
  return out;
}

// Causal LM: -log p(continuation | prompt), token by token, from the `logits` of one forward over
// prompt + continuation (one record per forward: no padding enters the figures).
TaskOutputs run_lm(models::Model& m, models::Generative& g, const std::string& dir,
                   const std::vector<EvalRecord>& recs, const TaskSettings& s) {
  auto tok = text::load_tokenizer(dir);
  text::EncodeOptions eo;
  eo.add_special_tokens = false;
  const int64_t max_tokens = s.max_length > 0 ? std::min(s.max_length, g.max_decoder_tokens()) : g.max_decoder_tokens();
  TaskOutputs out;
  out.kind = TaskKind::LanguageModel;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& r : recs) {
    auto ids = tok->encode(r.text, std::nullopt, eo).input_ids;
    check(!ids.empty(), "{}: the prompt has no tokens", r.where);
    const size_t prompt = ids.size();
    const auto cont = tok->encode(*r.target, std::nullopt, eo).input_ids;
    ids.insert(ids.end(), cont.begin(), cont.end());
    if (static_cast<int64_t>(ids.size()) > max_tokens) ids.resize(max_tokens);
    ++out.sequences;
    if (ids.size() <= prompt) continue;  // nothing of the continuation fits
    const int64_t T = static_cast<int64_t>(ids.size());
    TensorMap in;
    in.add("input_ids", Tensor::from_vector(ids, {1, T}));
    TensorMap res;
    try {
      res = m.forward(in);
    } catch (const Error& e) {
      throw Error("{}: {}", r.where, e.what());
    }
    const Tensor logits = res.at("logits").to_f32();
    const int64_t V = logits.dim(logits.ndim() - 1);
    for (int64_t p = static_cast<int64_t>(prompt) - 1; p + 1 < T; ++p) {
      const float* row = logits.data<float>() + p * V;
      const float mx = *std::max_element(row, row + V);
      double sum = 0;
      for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - mx);
      out.nll_sum += std::log(sum) + mx - row[ids[p + 1]];
      ++out.nll_tokens;
    }
  }
  out.seconds = seconds_since(t0);
  out.tokens = out.nll_tokens;
  return out;
}

std::string label_name(const nlohmann::json& label, const std::vector<std::string>& names, const std::string& where) {
  if (label.is_string()) return label.get<std::string>();
  const int64_t id = label.get<int64_t>();
  check(id >= 0 && id < static_cast<int64_t>(names.size()), "{}: label {} is not one of the model's {} labels", where,
        id, names.size());
  return names[id];
}

}  // namespace

TaskKind task_of(models::Model& model, const std::string& ref) {
  auto* g = dynamic_cast<models::Generative*>(&model);
  auto* bert = dynamic_cast<models::bert::BertTaskModel*>(&model);
  if (bert && bert->head() == models::bert::Head::SequenceClassification) {
    check(ref.empty() || ref == "label", "\"{}\" references: {} is scored against \"label\"", ref, model.arch());
    return TaskKind::Classify;
  }
  if (bert && bert->head() == models::bert::Head::QuestionAnswering) {
    check(ref.empty() || ref == "answers", "\"{}\" references: {} is scored against \"answers\"", ref, model.arch());
    return TaskKind::Answer;
  }
  check(g != nullptr, "{}: compare's task metrics cover sequence classification, question answering and "
        "generation; this model has none", model.arch());
  check(ref.empty() || ref == "target", "\"{}\" references: {} is scored against \"target\"", ref, model.arch());
  if (!g->is_encoder_decoder() && ref == "target") return TaskKind::LanguageModel;
  return TaskKind::Generate;
}

std::string task_unavailable(models::Model& model, std::vector<EvalRecord>& recs) {
  auto* bert = dynamic_cast<models::bert::BertTaskModel*>(&model);
  if (bert && bert->head() != models::bert::Head::SequenceClassification &&
      bert->head() != models::bert::Head::QuestionAnswering)
    return model.arch() + " has no task metric (sequence classification, question answering, generation have)";
  if (!bert && !dynamic_cast<models::Generative*>(&model)) return model.arch() + " has no task metric";
  if (bert && bert->head() == models::bert::Head::QuestionAnswering)
    for (auto& r : recs)
      if (!r.pair) return r.where + ": a question without a \"context\"";
  try {
    reference_kind(recs);
  } catch (const Error& e) {
    spdlog::warn("{}; agreement with the reference precision only", e.what());
    for (auto& r : recs) {
      r.label.reset();
      r.target.reset();
      r.answers.reset();
    }
  }
  try {
    task_of(model, reference_kind(recs));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TaskOutputs run_task(models::Model& model, const std::string& dir, TaskKind kind, const std::vector<EvalRecord>& recs,
                     const TaskSettings& s) {
  if (kind == TaskKind::Classify || kind == TaskKind::Answer)
    return run_encode(dynamic_cast<models::bert::BertTaskModel&>(model), dir, kind, recs, s);
  auto& g = dynamic_cast<models::Generative&>(model);
  if (kind == TaskKind::LanguageModel) return run_lm(model, g, dir, recs, s);
  return run_generate(g, dir, recs, s);
}

std::vector<Metric> score(const TaskOutputs& out, const std::vector<EvalRecord>& recs) {
  const double n = static_cast<double>(std::max<size_t>(1, recs.size()));
  switch (out.kind) {
    case TaskKind::Classify: {
      std::vector<std::string> ref;
      for (auto& r : recs) ref.push_back(label_name(*r.label, out.label_names, r.where));
      return {{"accuracy", accuracy(out.texts, ref), true}, {"macro_f1", macro_f1(out.texts, ref), true}};
    }
    case TaskKind::Answer: {
      double em = 0, f1 = 0;
      for (size_t i = 0; i < recs.size(); ++i) {
        em += squad_exact(out.texts[i], *recs[i].answers);
        f1 += squad_f1(out.texts[i], *recs[i].answers);
      }
      return {{"squad_f1", f1 / n, true}, {"squad_em", em / n, true}};
    }
    case TaskKind::Generate: {
      double em = 0, rl = 0;
      for (size_t i = 0; i < recs.size(); ++i) {
        em += exact_match(out.texts[i], *recs[i].target);
        rl += rouge_l_f1(out.texts[i], *recs[i].target);
      }
      return {{"rouge_l", rl / n, true}, {"exact_match", em / n, true}};
    }
    case TaskKind::LanguageModel: {
      const double loss = out.nll_tokens ? out.nll_sum / out.nll_tokens : 0.0;
      return {{"loss", loss, false}, {"perplexity", std::exp(loss), false}};
    }
  }
  return {};
}

std::vector<Metric> agreement(const TaskOutputs& ref, const TaskOutputs& test) {
  check(ref.texts.size() == test.texts.size(), "agreement: {} outputs against {}", test.texts.size(),
        ref.texts.size());
  if (ref.kind == TaskKind::LanguageModel) return {};
  const double n = static_cast<double>(std::max<size_t>(1, ref.texts.size()));
  double same = 0;
  for (size_t i = 0; i < ref.texts.size(); ++i)
    same += ref.kind == TaskKind::Generate ? ref.ids[i] == test.ids[i] : ref.texts[i] == test.texts[i];
  const char* name = ref.kind == TaskKind::Classify ? "label_agreement"
                     : ref.kind == TaskKind::Answer ? "span_agreement"
                                                     : "identical_ids";
  return {{name, same / n, true}};
}

}  // namespace qdq::quantization
