#include "model_batches.h"

#include <algorithm>

#include "core/error.h"
#include "text/tokenizer.h"

namespace qdq::app {

std::vector<std::pair<std::string, TensorMap>> load_batches(const BatchInputOptions& o, const std::string& model_dir) {
  std::vector<std::pair<std::string, TensorMap>> batches;
  if (!o.tensors_in.empty()) {
    check(o.text_in.texts.empty() && o.text_in.input.empty(), "give --tensors-in or texts, not both");
    for (auto& arg : o.tensors_in) {
      TensorMap m = read_tensors_arg(arg);
      check(!m.names.empty(), "{}: no tensors", arg);
      batches.emplace_back(arg, std::move(m));
    }
    return batches;
  }
  const auto items = read_text_items(o.text_in);
  auto tok = text::load_tokenizer(model_dir);
  text::EncodeOptions eo;
  eo.truncate = true;
  eo.max_length = o.max_length;
  for (size_t s = 0; s < items.size(); s += o.batch_size) {
    std::vector<text::Encoding> encs;
    for (size_t i = s; i < std::min(items.size(), s + static_cast<size_t>(o.batch_size)); ++i) {
      try {
        encs.push_back(tok->encode(items[i].text, items[i].pair, eo));
      } catch (const Error& e) {
        throw Error("text {}: {}", i + 1, e.what());
      }
    }
    batches.emplace_back(fmt::format("texts {}-{}", s + 1, s + encs.size()),
                         text::pad_batch(encs, tok->pad_id(), tok->has_token_type_ids()));
  }
  return batches;
}

}  // namespace qdq::app
