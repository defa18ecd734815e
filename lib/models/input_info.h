#pragma once
// What a model class takes as one text input, and how many tokens it holds,
// known from config.json alone, so that a command can read and check its
// inputs before the (slower) model load. The family knowledge lives here, in
// models/, not in the commands that read texts.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace qdq::models {

// What one input is: a text (a tab is just a character: generators' sources and prompts), a
// text with an optional text_pair (BERT; a tab separates the two in plain text), a question with
// its context (QA), or a context with the choices of a multiple-choice question.
enum class TextKind { Single, Pair, QuestionContext, Choices };

// The class a directory runs as: `arch_override` (--arch), else config.json architectures[0]; "" if neither.
std::string arch_of(const nlohmann::json& config, const std::string& arch_override);

TextKind text_kind(const nlohmann::json& config, const std::string& arch);

// The input length the model holds, what --max-length (and generate's --max-input-length) default
// to: BERT min(512, the tokenizer's model_max_length, max_position_embeddings), as Hugging Face's
// truncation=True with its tokenizers' model_max_length; ProphetNet's max_position_embeddings - 1
// (its position table keeps a padding row); an encoder-decoder's encoder. `model_max_length` <= 0: unset.
int64_t max_input_tokens(const nlohmann::json& config, int64_t model_max_length);

}  // namespace qdq::models
