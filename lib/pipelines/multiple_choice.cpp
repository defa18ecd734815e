#include "pipelines/multiple_choice.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace qdq::pipelines {

TensorMap pad_choices(const std::vector<text::Encoding>& flat, int64_t nb, int64_t nc, const text::Tokenizer& tok) {
  const TensorMap in = text::pad_batch(flat, tok.pad_id(), tok.has_token_type_ids());
  TensorMap in3;
  for (auto& n : in.names) {
    const Tensor& t = in.tensors.at(n);
    in3.add(n, t.reshape({nb, nc, t.dim(1)}));
  }
  return in3;
}

std::vector<Record> multiple_choice(models::Model& model, const text::Tokenizer& tok,
                                    const std::vector<ChoiceInput>& inputs, const text::EncodeOptions& eo,
                                    int64_t max_positions, int64_t batch_size) {
  check(batch_size >= 1, "multiple choice: batch size must be at least 1, got {}", batch_size);
  // Tokenize everything first: a bad input fails before any forward.
  std::vector<std::vector<text::Encoding>> encs(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    check(!inputs[i].choices.empty(), "{}: no choices", inputs[i].where);
    for (const auto& c : inputs[i].choices) {
      try {
        encs[i].push_back(tok.encode(inputs[i].context, c, eo));
      } catch (const Error& err) {
        throw Error("{}: {}", inputs[i].where, err.what());
      }
      check(static_cast<int64_t>(encs[i].back().input_ids.size()) <= max_positions,
            "{}: {} tokens, more than max_position_embeddings {} (use --truncation longest_first)", inputs[i].where,
            encs[i].back().input_ids.size(), max_positions);
    }
  }
  // One forward holds inputs with one number of choices (the model's [batch, C, T] input).
  std::map<size_t, std::vector<size_t>> by_choices;
  for (size_t i = 0; i < inputs.size(); ++i) by_choices[inputs[i].choices.size()].push_back(i);
  std::vector<Record> out(inputs.size());
  for (const auto& [C, members] : by_choices) {
    for (size_t s = 0; s < members.size(); s += static_cast<size_t>(batch_size)) {
      const size_t e = std::min(members.size(), s + static_cast<size_t>(batch_size));
      std::vector<text::Encoding> flat;
      for (size_t k = s; k < e; ++k) flat.insert(flat.end(), encs[members[k]].begin(), encs[members[k]].end());
      const int64_t nb = static_cast<int64_t>(e - s), nc = static_cast<int64_t>(C);
      const TensorMap res = model.forward(pad_choices(flat, nb, nc, tok));
      const float* logits = res.at("logits").data<float>();
      for (size_t k = s; k < e; ++k) {
        const size_t i = members[k];
        const auto p = softmax(logits + static_cast<int64_t>(k - s) * nc, nc);
        const int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
        Record r;
        r["choice"] = best;
        r["text"] = inputs[i].choices[best];
        r["score"] = p[best];
        r["scores"] = p;
        out[i] = std::move(r);
      }
    }
  }
  return out;
}

}  // namespace qdq::pipelines
