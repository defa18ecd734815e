// Mirrors modeling_qdqbert.py (transformers v4.37.2) op for op, in the order
// and at the quant points of its forward; the comments name the HF module.
#include "export/bert_onnx.h"

#include <cmath>
#include <limits>

#include "export/qdq.h"
#include "models/bert/config.h"
#include "models/bert/heads.h"

namespace qdq::onnx_export {

namespace {

using models::bert::BertConfig;
using models::bert::Head;
using F = onnx::TensorProto_DataType;

Tensor transposed(const Tensor& w) {
  const int64_t r = w.dim(0), c = w.dim(1);
  Tensor t(DType::F32, {c, r});
  const float* s = w.data<float>();
  float* d = t.data<float>();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) d[j * r + i] = s[i * c + j];
  return t;
}

class BertGraph {
 public:
  BertGraph(GraphBuilder& g, WeightStore& w, const BertConfig& c, const quant::QuantPlan& plan, int opset)
      : g_(g), w_(w), c_(c), plan_(plan), opset_(opset) {
    for (auto& q : plan.all()) quantized_ = quantized_ || q->has_amax();
    // Where the encoder sits in this class's module tree, as its registry names it: "bert." for a
    // head, "" for a bare QDQBertModel (the graph below spells modules as a head's checkpoint does).
    for (auto& l : plan.linears()) {
      const size_t at = l->module.find("encoder.layer.");
      if (at != std::string::npos) {
        encoder_root_ = l->module.substr(0, at);
        break;
      }
    }
  }

  // The registry's quantizer of graph module `name` ("bert.encoder...", re-rooted at the class's own root).
  const quant::TensorQuantizer& quantizer(const std::string& name) const {
    const std::string own = name.rfind("bert.", 0) == 0 ? encoder_root_ + name.substr(5) : name;
    const quant::TensorQuantizer* q = plan_.find(own);
    check(q != nullptr, "ONNX export: the model has no quantizer '{}'", own);
    return *q;
  }
  std::string qdq(const std::string& x, const std::string& quantizer_name) {
    if (!quantized_) return x;
    return quant_dequant(g_, x, quantizer(quantizer_name));
  }

  // QuantLinear (quantized=true) or nn.Linear: y = x W^T + b over the last axis.
  std::string linear(const std::string& x, const std::string& module, int64_t out, int64_t in, bool quantized) {
    Tensor wt = w_.take(module + ".weight", {out, in});
    Tensor b = w_.take(module + ".bias", {out});
    scope(module);
    std::string y;
    if (quantized && quantized_) {
      // torch.onnx.export keeps the weight [out, in] behind its Q/DQ pair (per channel, axis 0) and
      // transposes after DequantizeLinear: constant folding cannot pass through QuantizeLinear.
      const std::string xq = qdq(x, module + "._input_quantizer");
      const std::string wq = qdq(g_.initializer(module + ".weight", wt), module + "._weight_quantizer");
      y = g_.node("MatMul", {xq, g_.node("Transpose", {wq}, {{"perm", std::vector<int64_t>{1, 0}}})});
    } else {
      // Folded as torch does for a constant weight: the initializer is W^T [in, out].
      y = g_.node("MatMul", {x, g_.initializer(module + ".weight_transposed", transposed(wt))});
    }
    return g_.node("Add", {y, g_.initializer(module + ".bias", b)});
  }

  std::string activation(const std::string& x) {
    const std::string& a = c_.hidden_act;
    if (a == "gelu") {  // exact erf GELU as torch exports it: x * 0.5 * (1 + erf(x / sqrt(2)))
      std::string e = g_.node("Erf", {g_.node("Div", {x, g_.const_f32(static_cast<float>(M_SQRT2))})});
      std::string h = g_.node("Mul", {x, g_.node("Add", {e, g_.const_f32(1.0f)})});
      return g_.node("Mul", {h, g_.const_f32(0.5f)});
    }
    if (a == "gelu_new" || a == "gelu_pytorch_tanh" || a == "gelu_fast") {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      std::string x3 = g_.node("Mul", {g_.node("Mul", {x, x}), x});
      std::string inner = g_.node("Add", {x, g_.node("Mul", {x3, g_.const_f32(0.044715f)})});
      std::string t = g_.node("Tanh", {g_.node("Mul", {inner, g_.const_f32(static_cast<float>(std::sqrt(2.0 / M_PI)))})});
      std::string h = g_.node("Mul", {x, g_.node("Add", {t, g_.const_f32(1.0f)})});
      return g_.node("Mul", {h, g_.const_f32(0.5f)});
    }
    if (a == "relu") return g_.node("Relu", {x});
    if (a == "tanh") return g_.node("Tanh", {x});
    if (a == "silu" || a == "swish") return g_.node("Mul", {x, g_.node("Sigmoid", {x})});
    throw Error("ONNX export: hidden_act '{}' is not supported", a);
  }

  std::string layer_norm(const std::string& x, const std::string& module) {
    const int64_t h = c_.hidden_size;
    const std::string gamma = g_.initializer(module + ".weight", w_.take(module + ".weight", {h}));
    const std::string beta = g_.initializer(module + ".bias", w_.take(module + ".bias", {h}));
    scope(module);
    if (opset_ >= 17)
      return g_.node("LayerNormalization", {x, gamma, beta}, {{"axis", int64_t{-1}}, {"epsilon", c_.layer_norm_eps}});
    // torch's opset < 17 decomposition of layer_norm.
    const std::vector<Attr> last{{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t{1}}};
    std::string d = g_.node("Sub", {x, g_.node("ReduceMean", {x}, last)});
    std::string var = g_.node("ReduceMean", {g_.node("Mul", {d, d})}, last);
    std::string den = g_.node("Sqrt", {g_.node("Add", {var, g_.const_f32(c_.layer_norm_eps)})});
    return g_.node("Add", {g_.node("Mul", {g_.node("Div", {d, den}), gamma}), beta});
  }

  // QDQBertEmbeddings: word + token type, + absolute position 0..T-1, LayerNorm.
  std::string embeddings(const std::string& ids, const std::string& token_type, const std::string& p) {
    const int64_t H = c_.hidden_size;
    word_ = g_.initializer(p + "word_embeddings.weight", w_.take(p + "word_embeddings.weight", {c_.vocab_size, H}));
    const std::string pos = g_.initializer(p + "position_embeddings.weight",
                                           w_.take(p + "position_embeddings.weight", {c_.max_position_embeddings, H}));
    const std::string type = g_.initializer(p + "token_type_embeddings.weight",
                                            w_.take(p + "token_type_embeddings.weight", {c_.type_vocab_size, H}));
    w_.ignore_prefix(p + "position_ids");
    w_.ignore_prefix("embeddings.position_ids");
    scope(p + "word_embeddings");
    std::string x = g_.node("Gather", {word_, ids});
    scope(p + "token_type_embeddings");
    x = g_.node("Add", {x, g_.node("Gather", {type, token_type})});
    scope(p + "position_embeddings");
    std::string seq = g_.node("Gather", {g_.node("Shape", {ids}), g_.const_i64({1})}, {{"axis", int64_t{0}}});
    std::string rows = g_.node("Slice", {pos, g_.const_i64({0}), seq, g_.const_i64({0})});
    x = g_.node("Add", {x, rows});
    return layer_norm(x, p + "LayerNorm");
  }

  // get_extended_attention_mask: (1 - mask[:, None, None, :]) * finfo(float32).min.
  std::string extended_mask(const std::string& mask) {
    scope("bert");
    std::string m = g_.node("Cast", {mask}, {{"to", static_cast<int64_t>(F::TensorProto_DataType_FLOAT)}});
    m = g_.node("Unsqueeze", {m, g_.const_i64({1, 2})});
    m = g_.node("Sub", {g_.const_f32(1.0f), m});
    return g_.node("Mul", {m, g_.const_f32(std::numeric_limits<float>::lowest())});
  }

  // QDQBertSelfOutput / QDQBertOutput's tail: LayerNorm(local(out) + residual(x)).
  std::string residual_add_norm(const std::string& out, const std::string& x, const std::string& p) {
    std::string a = qdq(out, p + "add_local_input_quantizer");
    std::string b = qdq(x, p + "add_residual_input_quantizer");
    scope(p);
    return layer_norm(g_.node("Add", {a, b}), p + "LayerNorm");
  }

  std::string attention(const std::string& x, const std::string& mask, const std::string& p) {
    const int64_t H = c_.hidden_size, heads = c_.num_attention_heads, d = c_.head_dim();
    const std::string s = p + "self.";
    std::string q = linear(x, s + "query", H, H, true);
    std::string k = linear(x, s + "key", H, H, true);
    std::string v = linear(x, s + "value", H, H, true);
    scope(p + "self");
    const std::string split = g_.const_i64({0, 0, heads, d});
    // transpose_for_scores: [B, T, heads, d] -> [B, heads, T, d]; the key transposed to [B, heads, d, T].
    auto heads_of = [&](const std::string& t, std::vector<int64_t> perm) {
      return g_.node("Transpose", {g_.node("Reshape", {t, split})}, {{"perm", std::move(perm)}});
    };
    q = heads_of(q, {0, 2, 1, 3});
    k = heads_of(k, {0, 2, 3, 1});
    v = heads_of(v, {0, 2, 1, 3});
    std::string qq = qdq(q, s + "matmul_q_input_quantizer");
    std::string kq = qdq(k, s + "matmul_k_input_quantizer");
    scope(p + "self");
    std::string scores = g_.node("MatMul", {qq, kq});
    scores = g_.node("Div", {scores, g_.const_f32(static_cast<float>(std::sqrt(static_cast<double>(d))))});
    scores = g_.node("Add", {scores, mask});
    std::string probs = g_.node("Softmax", {scores}, {{"axis", int64_t{-1}}});
    std::string pq = qdq(probs, s + "matmul_a_input_quantizer");
    std::string vq = qdq(v, s + "matmul_v_input_quantizer");
    scope(p + "self");
    std::string ctx = g_.node("MatMul", {pq, vq});
    ctx = g_.node("Transpose", {ctx}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
    ctx = g_.node("Reshape", {ctx, g_.const_i64({0, 0, H})});
    std::string out = linear(ctx, p + "output.dense", H, H, true);
    return residual_add_norm(out, x, p + "output.");
  }

  std::string layer(const std::string& x, const std::string& mask, const std::string& p) {
    const int64_t H = c_.hidden_size, I = c_.intermediate_size;
    std::string a = attention(x, mask, p + "attention.");
    std::string inter = linear(a, p + "intermediate.dense", I, H, true);
    scope(p + "intermediate");
    inter = activation(inter);
    std::string out = linear(inter, p + "output.dense", H, I, true);
    return residual_add_norm(out, a, p + "output.");
  }

  // QDQBertModel: last_hidden_state [B, T, H].
  std::string encoder(const std::string& ids, const std::string& mask, const std::string& tt) {
    std::string ext = extended_mask(mask);
    std::string x = embeddings(ids, tt, "bert.embeddings.");
    for (int64_t i = 0; i < c_.num_hidden_layers; ++i) x = layer(x, ext, "bert.encoder.layer." + std::to_string(i) + ".");
    return x;
  }

  // QDQBertPooler: tanh(dense(hidden[:, 0])).
  std::string pooler(const std::string& hs) {
    scope("bert.pooler");
    std::string first = g_.node("Gather", {hs, g_.const_i64({0}, true)}, {{"axis", int64_t{1}}});
    std::string y = linear(first, "bert.pooler.dense", c_.hidden_size, c_.hidden_size, false);
    scope("bert.pooler");
    return g_.node("Tanh", {y});
  }

  // cls.predictions: transform (dense, act, LayerNorm), decoder tied to the word embeddings + bias.
  std::string mlm_head(const std::string& hs) {
    const int64_t H = c_.hidden_size;
    const std::string p = "cls.predictions.";
    std::string t = linear(hs, p + "transform.dense", H, H, false);
    scope(p + "transform");
    t = layer_norm(activation(t), p + "transform.LayerNorm");
    auto bias = w_.take_optional(p + "bias", {c_.vocab_size});
    if (!bias) bias = w_.take(p + "decoder.bias", {c_.vocab_size});
    w_.ignore_prefix(p + "decoder.");
    scope(p + "decoder");
    std::string dec = g_.node("Transpose", {word_}, {{"perm", std::vector<int64_t>{1, 0}}});
    return g_.node("Add", {g_.node("MatMul", {t, dec}), g_.initializer(p + "bias", *bias)});
  }

  std::string output(const std::string& x, const std::string& name, std::vector<Dim> dims) {
    scope("");
    g_.node("Identity", {x}, {}, name);
    g_.output(name, F::TensorProto_DataType_FLOAT, dims);
    return name;
  }

  void scope(const std::string& s) { g_.set_scope(s); }

 private:
  GraphBuilder& g_;
  WeightStore& w_;
  const BertConfig& c_;
  const quant::QuantPlan& plan_;
  std::string encoder_root_ = "bert.";
  int opset_;
  bool quantized_ = false;
  std::string word_;  // the word embedding initializer (tied to the MLM decoder)
};

}  // namespace

onnx::ModelProto bert_to_onnx(const Checkpoint& ck, const std::string& arch_in, const quant::QuantPlan& plan,
                              const OnnxOptions& opts) {
  check(opts.opset >= 13 && opts.opset <= 17, "--opset {}: QDQBERT exports to opsets 13..17 (per-channel "
        "QuantizeLinear needs 13)", opts.opset);
  const std::string cfg_file = ck.dir + "/config.json";
  const std::string arch = arch_in.empty() ? "QDQBertModel" : arch_in;
  const Head head = models::bert::head_of_arch(arch, cfg_file);
  const BertConfig c = models::bert::parse_bert_config(ck.config, cfg_file);
  WeightStore w(ck, {"bert."});

  onnx::ModelProto m;
  m.set_ir_version(onnx::IR_VERSION);
  m.set_producer_name("qdqrt");
  m.set_producer_version("0.1.0");
  m.set_doc_string(arch);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opts.opset);
  onnx::GraphProto* graph = m.mutable_graph();
  graph->set_name(arch);
  GraphBuilder g(graph);
  BertGraph b(g, w, c, plan, opts.opset);

  const std::vector<Dim> bt{"batch_size", "sequence_length"};
  const bool mc = head == Head::MultipleChoice;
  std::vector<std::string> in{"input_ids", "attention_mask", "token_type_ids"};
  for (const auto& n : in)
    g.input(n, F::TensorProto_DataType_INT64,
            mc ? std::vector<Dim>{"batch_size", "num_choices", "sequence_length"} : bt);
  if (mc) {  // QDQBertForMultipleChoice: every input.view(-1, input.size(-1))
    b.scope("");
    const std::string rows = g.node(
        "Concat", {g.const_i64({-1}), g.node("Gather", {g.node("Shape", {"input_ids"}), g.const_i64({2})})},
        {{"axis", int64_t{0}}});
    for (auto& n : in) n = g.node("Reshape", {n, rows});
  }
  const int64_t H = c.hidden_size;
  std::string hs = b.encoder(in[0], in[1], in[2]);
  switch (head) {
    case Head::Base:
      b.output(hs, "last_hidden_state", {"batch_size", "sequence_length", H});
      if (w.has("bert.pooler.dense.weight")) b.output(b.pooler(hs), "pooler_output", {"batch_size", H});
      break;
    case Head::SequenceClassification:
      b.output(b.linear(b.pooler(hs), "classifier", c.num_labels(), H, false), "logits",
               {"batch_size", c.num_labels()});
      break;
    case Head::TokenClassification:
      b.output(b.linear(hs, "classifier", c.num_labels(), H, false), "logits",
               {"batch_size", "sequence_length", c.num_labels()});
      break;
    case Head::QuestionAnswering: {
      std::string logits = b.linear(hs, "qa_outputs", 2, H, false);
      b.scope("qa_outputs");
      auto parts = g.node_n("Split", {logits}, 2, {{"axis", int64_t{-1}}});
      const std::string last = g.const_i64({-1});
      b.output(g.node("Squeeze", {parts[0], last}), "start_logits", bt);
      b.output(g.node("Squeeze", {parts[1], last}), "end_logits", bt);
      break;
    }
    case Head::MaskedLM:
      b.output(b.mlm_head(hs), "logits", {"batch_size", "sequence_length", c.vocab_size});
      break;
    case Head::MultipleChoice: {  // logits.view(-1, num_choices)
      std::string l = b.linear(b.pooler(hs), "classifier", 1, H, false);
      b.scope("");
      const std::string shape = g.node(
          "Concat", {g.const_i64({-1}), g.node("Gather", {g.node("Shape", {"input_ids"}), g.const_i64({1})})},
          {{"axis", int64_t{0}}});
      b.output(g.node("Reshape", {l, shape}), "logits", {"batch_size", "num_choices"});
      break;
    }
    case Head::NextSentencePrediction:
      b.output(b.linear(b.pooler(hs), "cls.seq_relationship", 2, H, false), "logits", {"batch_size", 2});
      break;
  }
  // Weights of other heads are what Hugging Face reports as unused; anything else is an error.
  for (const char* other : {"classifier.", "qa_outputs.", "cls.", "bert.pooler.", "pooler."}) w.ignore_prefix(other);
  w.finish();
  return m;
}

}  // namespace qdq::onnx_export
