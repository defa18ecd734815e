#pragma once
// The string side of decoding: convert_tokens_to_string of the WordPiece
// tokenizers and tokenization_utils_base.clean_up_tokenization.
#include <string>
#include <vector>

namespace qdq::text {

// " ".join(tokens).replace(" ##", "").strip()
std::string wordpiece_tokens_to_string(const std::vector<std::string>& tokens);
// " ." -> ".", " ?" -> "?", " !" -> "!", " ," -> ",", " ' " -> "'", " n't" -> "n't",
// " 'm" -> "'m", " 's" -> "'s", " 've" -> "'ve", " 're" -> "'re", in that order.
std::string clean_up_tokenization(std::string s);

}  // namespace qdq::text
