// qdqrt encode: text in, embeddings or head outputs out (BERT family).
// Inputs are sorted by length and batched so a batch pads only to its longest
// member; results come out in input order and do not depend on the batching.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "command.h"
#include "text_input.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/log.h"
#include "encode_output.h"
#include "io/atomic_file.h"
#include "model_options.h"
#include "models/bert/task_model.h"
#include "progress.h"
#include "text/tokenizer.h"

namespace qdq::app {
namespace {

using json = nlohmann::json;
using models::bert::Head;

struct EncodeOptionsCli {
  ModelOptions model;
  TextInputOptions text_in;
  std::string output, output_format, truncation = "longest_first", pooling;
  int64_t max_length = 0, batch_size = 8, top_k = 5;
};


std::vector<float> softmax(const float* x, int64_t n) {
  std::vector<float> p(n);
  float m = *std::max_element(x, x + n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += p[i] = std::exp(x[i] - m);
  for (auto& v : p) v = static_cast<float>(v / s);
  return p;
}

// What one head turns a sequence's outputs into (row b of a batch of T tokens).
class Postprocess {
 public:
  Postprocess(const models::bert::BertTaskModel& m, const text::Tokenizer& tok, const EncodeOptionsCli& o)
      : m_(m), tok_(tok), o_(o) {
    pooling_ = o.pooling.empty() ? (m.has_pooler() ? "pooler" : "cls") : o.pooling;
    check(pooling_ != "pooler" || m.has_pooler(), "--pooling pooler: {} has no pooler weights", m.arch());
  }

  json operator()(const TensorMap& out, int64_t b, const text::Encoding& enc) const {
    const auto& labels = m_.config().id2label;
    const int64_t len = static_cast<int64_t>(enc.input_ids.size());
    const Tensor& hs = out.at("last_hidden_state");
    const int64_t T = hs.dim(1), H = hs.dim(2);
    switch (m_.head()) {
      case Head::Base: {
        std::vector<float> e(H, 0.0f);
        if (pooling_ == "pooler") {
          const float* p = out.at("pooler_output").data<float>() + b * H;
          e.assign(p, p + H);
        } else if (pooling_ == "cls") {
          const float* p = hs.data<float>() + b * T * H;
          e.assign(p, p + H);
        } else {  // mean over the sequence's own tokens (its attention mask)
          for (int64_t t = 0; t < len; ++t)
            for (int64_t i = 0; i < H; ++i) e[i] += hs.data<float>()[(b * T + t) * H + i];
          for (auto& v : e) v /= static_cast<float>(len);
        }
        return {{"embedding", e}};
      }
      case Head::SequenceClassification: {
        const int64_t L = static_cast<int64_t>(labels.size());
        const float* l = out.at("logits").data<float>() + b * L;
        // The text-classification pipeline: sigmoid for one label, softmax otherwise.
        std::vector<float> p = L == 1 ? std::vector<float>{1.0f / (1.0f + std::exp(-l[0]))} : softmax(l, L);
        int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
        json scores = json::object();
        for (int64_t i = 0; i < L; ++i) scores[labels[i]] = p[i];
        return {{"label", labels[best]}, {"score", p[best]}, {"scores", scores}};
      }
      case Head::TokenClassification: {
        const int64_t L = static_cast<int64_t>(labels.size());
        json ents = json::array();
        for (int64_t t = 0; t < len; ++t) {
          if (is_special(enc.input_ids[t])) continue;
          auto p = softmax(out.at("logits").data<float>() + (b * T + t) * L, L);
          int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
          ents.push_back({{"token", enc.tokens[t]}, {"label", labels[best]}, {"score", p[best]}, {"index", t}});
        }
        return {{"entities", ents}};
      }
      case Head::QuestionAnswering:
        return answer(out.at("start_logits").data<float>() + b * T, out.at("end_logits").data<float>() + b * T, enc);
      case Head::MaskedLM: {
        const int64_t V = m_.config().vocab_size;
        json masks = json::array();
        for (int64_t t = 0; t < len; ++t) {
          if (enc.input_ids[t] != tok_.mask_id()) continue;
          auto p = softmax(out.at("logits").data<float>() + (b * T + t) * V, V);
          std::vector<int64_t> idx(V);
          std::iota(idx.begin(), idx.end(), 0);
          const int64_t k = std::min<int64_t>(o_.top_k, V);
          std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t c) {
            return p[a] > p[c] || (p[a] == p[c] && a < c);
          });
          json fills = json::array();
          for (int64_t i = 0; i < k; ++i)
            fills.push_back({{"token", idx[i]}, {"token_str", tok_.decode({idx[i]}, false)}, {"score", p[idx[i]]}});
          masks.push_back({{"index", t}, {"fills", fills}});
        }
        return {{"masks", masks}};
      }
      case Head::NextSentencePrediction: {  // logit 0: text_pair continues text (HF's NSP label 0)
        auto p = softmax(out.at("logits").data<float>() + b * 2, 2);
        const bool next = p[0] >= p[1];
        return {{"label", next ? "is_next" : "not_next"},
                {"score", next ? p[0] : p[1]},
                {"scores", {{"is_next", p[0]}, {"not_next", p[1]}}}};
      }
      case Head::MultipleChoice:  // run_choices
        break;
    }
    return {};
  }

 private:
  bool is_special(int64_t id) const { return id == tok_.cls_id() || id == tok_.sep_id() || id == tok_.pad_id(); }

  // The question-answering pipeline (select_starts_ends + decode_spans): only
  // context tokens and [CLS] enter the softmax, [CLS] is then dropped, the best
  // span has start <= end < start + 15; score = p_start * p_end.
  json answer(const float* sl, const float* el, const text::Encoding& enc) const {
    const int64_t len = static_cast<int64_t>(enc.input_ids.size());
    constexpr int64_t kMaxAnswerLen = 15;
    std::vector<bool> ctx(len);
    std::vector<float> s(len), e(len);
    for (int64_t t = 0; t < len; ++t) {
      ctx[t] = enc.token_type_ids.at(t) == 1 && !is_special(enc.input_ids[t]);
      bool keep = ctx[t] || enc.input_ids[t] == tok_.cls_id();
      s[t] = keep ? sl[t] : -10000.0f;
      e[t] = keep ? el[t] : -10000.0f;
    }
    auto ps = softmax(s.data(), len), pe = softmax(e.data(), len);
    double best = -1;
    int64_t bs = -1, be = -1;
    for (int64_t i = 0; i < len; ++i) {
      if (!ctx[i]) continue;
      for (int64_t j = i; j < len && j < i + kMaxAnswerLen; ++j) {
        if (!ctx[j]) continue;
        double sc = double(ps[i]) * pe[j];
        if (sc > best) best = sc, bs = i, be = j;
      }
    }
    if (bs < 0) return {{"answer", ""}, {"score", 0.0}, {"start", nullptr}, {"end", nullptr}};
    std::vector<int64_t> ids(enc.input_ids.begin() + bs, enc.input_ids.begin() + be + 1);
    return {{"answer", tok_.decode(ids, true)}, {"score", best}, {"start", bs}, {"end", be}};
  }

  const models::bert::BertTaskModel& m_;
  const text::Tokenizer& tok_;
  const EncodeOptionsCli& o_;
  std::string pooling_;
};

void write_jsonl(const std::vector<json>& results, const std::string& output) {
  std::string text;
  for (auto& r : results) text += r.dump() + "\n";
  if (output.empty() || output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(output, text);
  }
}

// Multiple choice: each record's (context, choice) pairs are one forward of
// shape [1, num_choices, T] (T: the record's longest pair), as a
// QDQBertForMultipleChoice user feeds them; softmax over the choices.
int run_choices(const EncodeOptionsCli& o, models::Model& model, const text::Tokenizer& tok,
                const std::vector<TextItem>& items, const text::EncodeOptions& eo, int64_t max_positions) {
  check(o.output_format == "jsonl", "--output-format {}: multiple choice writes JSONL", o.output_format);
  std::vector<json> results;
  Progress progress("encode", static_cast<int64_t>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    std::vector<text::Encoding> encs;
    for (const auto& c : items[i].choices) {
      try {
        encs.push_back(tok.encode(items[i].text, c, eo));
      } catch (const Error& err) {
        throw Error("input {}: {}", i + 1, err.what());
      }
      check(static_cast<int64_t>(encs.back().input_ids.size()) <= max_positions,
            "input {}: {} tokens, more than max_position_embeddings {} (use --truncation longest_first)", i + 1,
            encs.back().input_ids.size(), max_positions);
    }
    TensorMap in = text::pad_batch(encs, tok.pad_id(), tok.has_token_type_ids());
    TensorMap in3;
    for (auto& n : in.names) {
      const Tensor& t = in.tensors.at(n);
      in3.add(n, t.reshape({1, t.dim(0), t.dim(1)}));
    }
    TensorMap out = model.forward(in3);
    const int64_t C = static_cast<int64_t>(encs.size());
    auto p = softmax(out.at("logits").data<float>(), C);
    const int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
    results.push_back({{"choice", best}, {"text", items[i].choices[best]}, {"score", p[best]}, {"scores", p}});
    progress.advance(1);
  }
  progress.finish();
  write_jsonl(results, o.output);
  return 0;
}

int run_encode(EncodeOptionsCli& o) {
  auto model = load_model_for(o.model);
  auto* bert = dynamic_cast<models::bert::BertTaskModel*>(model.get());
  check(bert != nullptr, "encode: {} is not a BERT-family model (use generate for ProphetNet)", model->arch());
  const auto& cfg = bert->config();
  auto tok = text::load_tokenizer(o.model.model_dir);
  const bool qa = bert->head() == Head::QuestionAnswering;
  const bool mc = bert->head() == Head::MultipleChoice;
  std::vector<TextItem> items =
      read_text_items(o.text_in, mc ? TextKind::Choices : qa ? TextKind::QuestionContext : TextKind::Pair);

  int64_t max_len = o.max_length;
  if (max_len <= 0) {
    max_len = 512;
    if (tok->model_max_length() > 0) max_len = std::min(max_len, tok->model_max_length());
    max_len = std::min(max_len, cfg.max_position_embeddings);
  }
  text::EncodeOptions eo;
  eo.truncate = o.truncation != "do_not_truncate";
  eo.truncation = o.truncation;
  if (eo.truncate) eo.max_length = max_len;
  if (mc) return run_choices(o, *model, *tok, items, eo, cfg.max_position_embeddings);
  std::vector<text::Encoding> encs;
  encs.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    text::Encoding e;
    try {
      e = tok->encode(items[i].text, items[i].pair, eo);
    } catch (const Error& err) {
      throw Error("input {}: {}", i + 1, err.what());
    }
    check(static_cast<int64_t>(e.input_ids.size()) <= cfg.max_position_embeddings,
          "input {}: {} tokens, more than max_position_embeddings {} (use --truncation longest_first)", i + 1,
          e.input_ids.size(), cfg.max_position_embeddings);
    encs.push_back(std::move(e));
  }

  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return encs[a].input_ids.size() < encs[b].input_ids.size(); });

  Postprocess post(*bert, *tok, o);
  std::vector<json> results(items.size());
  RawOutputs raw(items.size());
  const bool want_json = o.output_format == "jsonl";
  const bool npy_embedding = o.output_format == "npy" && bert->head() == Head::Base;
  check(o.output_format != "npy" || bert->head() == Head::Base || bert->head() == Head::SequenceClassification,
        "--output-format npy holds one array (embeddings or sequence logits); use safetensors for {}", bert->arch());
  Progress progress("encode", static_cast<int64_t>(items.size()));
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t start = 0; start < order.size(); start += o.batch_size) {
    size_t end = std::min(order.size(), start + static_cast<size_t>(o.batch_size));
    std::vector<text::Encoding> batch;
    for (size_t k = start; k < end; ++k) batch.push_back(encs[order[k]]);
    TensorMap in = text::pad_batch(batch, tok->pad_id(), tok->has_token_type_ids());
    TensorMap out = model->forward(in);
    for (size_t k = start; k < end; ++k) {
      const int64_t b = static_cast<int64_t>(k - start);
      // The bare model's npy is the pooled embedding, which Postprocess computes.
      if (want_json || npy_embedding) results[order[k]] = post(out, b, batch[b]);
      else raw.add(order[k], out, b, static_cast<int64_t>(batch[b].input_ids.size()));
    }
    progress.advance(static_cast<int64_t>(end - start));
  }
  progress.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Model time only (no load, no tokenization): what scripts/bench.sh reads.
  spdlog::info("encoded {} sequences in {:.3f} s ({:.2f} sequences/s)", items.size(), secs,
               static_cast<double>(items.size()) / secs);

  if (npy_embedding) {
    const int64_t H = cfg.hidden_size;
    Tensor e(DType::F32, {static_cast<int64_t>(results.size()), H});
    for (size_t i = 0; i < results.size(); ++i) {
      auto v = results[i]["embedding"].get<std::vector<float>>();
      std::copy(v.begin(), v.end(), e.data<float>() + i * H);
    }
    write_npy(o.output, e);
    return 0;
  }
  if (!want_json) {
    TensorMap all = raw.gather();
    if (o.output_format == "npy") write_npy(o.output, all.at("logits"));
    else write_safetensors(o.output, all);
    return 0;
  }
  write_jsonl(results, o.output);
  return 0;
}

const RegisterCommand reg{
    {"encode", "Text in, embeddings or head outputs out (BERT family: classification, QA, NER, fill-mask, multiple choice, NSP)", 10,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<EncodeOptionsCli>();
       add_model_options(sub, o->model);
       add_text_input_options(sub, o->text_in,
                              "Texts to encode (a tab separates a text pair, or a question and its context; JSONL "
                              "takes {\"text\", \"text_pair\"} or {\"question\", \"context\"}; multiple choice: "
                              "{\"context\", \"choices\": [...]}, or tab-separated context and choices)");
       sub.add_option("-o,--output", o->output, "Output file (default: stdout)");
       sub.add_option("--output-format", o->output_format,
                      "jsonl (one result per input), npy or safetensors (raw output tensors); default: from the "
                      "extension, else jsonl")
           ->check(CLI::IsMember({"jsonl", "npy", "safetensors"}));
       sub.add_option("--max-length", o->max_length,
                      "Truncate to this many tokens (default: min(512, model_max_length, max_position_embeddings))")
           ->check(CLI::PositiveNumber);
       sub.add_option("--truncation", o->truncation, "longest_first, only_first, only_second or do_not_truncate")
           ->check(CLI::IsMember({"longest_first", "only_first", "only_second", "do_not_truncate"}));
       sub.add_option("-b,--batch-size", o->batch_size, "Sequences per forward (default 8)")
           ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
       sub.add_option("--pooling", o->pooling,
                      "Bare model embedding: pooler (dense+tanh on [CLS], default when the checkpoint has a "
                      "pooler), cls (last hidden state of [CLS], the default otherwise) or mean")
           ->check(CLI::IsMember({"cls", "mean", "pooler"}));
       sub.add_option("--top-k", o->top_k, "Masked LM: candidates per [MASK] (default 5)")
           ->check(CLI::Range(int64_t{1}, int64_t{1000}));
       return std::function<int()>([o] {
         if (o->output_format.empty())
           o->output_format = ends_with(o->output, ".npy")           ? "npy"
                              : ends_with(o->output, ".safetensors") ? "safetensors"
                                                                     : "jsonl";
         check(o->output_format == "jsonl" || (!o->output.empty() && o->output != "-"),
               "--output-format {} needs -o FILE", o->output_format);
         return run_encode(*o);
       });
     }}};

}  // namespace
}  // namespace qdq::app
