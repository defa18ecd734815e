#include "models/prophetnet/lm_decoder.h"

#include "models/prophetnet/tensor_util.h"

namespace qdq::models::prophetnet {

Tensor take_word_embeddings(WeightStore& ws, const std::string& prefix, const Config& c) {
  const Shape shape{c.vocab_size, c.hidden_size};
  const std::string shared = prefix + "word_embeddings.weight";
  const std::string dec = prefix + "decoder.word_embeddings.weight";
  Tensor w = ws.has(shared) ? ws.take(shared, shape) : ws.take(dec, shape);
  // safetensors checkpoints store the tied matrix once; .bin ones repeat it under every name.
  ws.ignore_prefix(dec);
  ws.ignore_prefix(prefix + "encoder.word_embeddings.weight");
  return w;
}

Tensor take_head_weight(WeightStore& ws, const std::string& head, const Config& c, const Tensor& word) {
  const std::string name = head + ".weight";
  if (!c.tie_word_embeddings && ws.has(name)) return ws.take(name, {c.vocab_size, c.hidden_size}, /*allow_int8=*/true);
  ws.ignore_prefix(name);
  return word;
}

LmDecoder::LmDecoder(const std::string& decoder_module, const std::string& head_module, WeightStore& ws,
                     const Config& c, Tensor word_embeddings, Tensor head_weight, quant::QuantPlan& plan)
    : dec_(decoder_module, ws, c, word_embeddings, plan),
      // Tied (the head's weight is the word-embedding tensor itself): the head owns no checkpoint tensor.
      head_(head_module, head_weight, Tensor(), plan,
            head_weight.raw() == word_embeddings.raw() ? std::string() : ws.key_of(head_module + ".weight").value_or("")) {}

void LmDecoder::prepare() {
  dec_.prepare();
  head_.prepare();
}

Tensor LmDecoder::predict_logits(const Tensor& ngram_hidden, int64_t T) {
  const int64_t B = ngram_hidden.dim(0), NG = dec_.config().ngram, H = ngram_hidden.dim(2);
  return head_.forward(ngram_hidden.reshape({B, NG, T, H}));
}

Tensor LmDecoder::prefill(GenState& st, const std::vector<int64_t>& seqs, int64_t len, const Tensor& enc,
                          const std::vector<int64_t>& enc_mask, RelPosMode mode) {
  if (len == 1) return step(st, seqs);  // the T = 1 full forward and the cached step are one computation
  auto out = dec_.forward(seqs, st.rows, len, {}, enc, enc_mask, mode, &st.cache);
  const int64_t H = out.ngram.dim(2);
  // Predicting stream 0 at the last position.
  Tensor last(DType::F32, {st.rows, H});
  for (int64_t r = 0; r < st.rows; ++r)
    std::copy_n(out.ngram.data<float>() + (r * out.ngram.dim(1) + len - 1) * H, H, last.data<float>() + r * H);
  return head_.forward(last);
}

Tensor LmDecoder::step(GenState& st, const std::vector<int64_t>& tokens) {
  return head_.forward(dec_.step(tokens, st.cache));
}

Generative::Extended LmDecoder::extend(GenState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) {
  Tensor h = dec_.extend(tokens, n, drafts, st.cache);  // [rows, n * (1 + drafts), H]
  Tensor l = head_.forward(h);                          // one pass over the head's weight for both streams
  if (!drafts) return {l, Tensor()};
  return {slice_rows(l, 0, n), slice_rows(l, n, n)};
}

}  // namespace qdq::models::prophetnet
