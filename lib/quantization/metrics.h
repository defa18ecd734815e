#pragma once
// Task metrics on text, as their usual definitions compute them:
//   * words(): lower-cased (ASCII) whitespace-separated words, the unit of ROUGE-L and exact match;
//   * rouge_l_f1(): F1 of the longest common subsequence of the two word lists (precision LCS/|pred|,
//     recall LCS/|ref|; 0 when either is empty, 1 when both are);
//   * exact_match(): the two word lists are identical;
//   * SQuAD v1.1 (evaluate-v1.1.py): normalize_answer() lower-cases, drops ASCII punctuation and the
//     articles a/an/the, collapses whitespace; exact match and token F1 against the best of the answers;
//   * accuracy and macro-F1 over labels (scikit-learn's f1_score(average="macro"): the mean F1 over
//     every label that occurs in the references or the predictions).
#include <string>
#include <vector>

namespace qdq::quantization {

std::vector<std::string> words(const std::string& s);
double rouge_l_f1(const std::string& pred, const std::string& ref);
bool exact_match(const std::string& pred, const std::string& ref);

std::string squad_normalize(const std::string& s);
double squad_exact(const std::string& pred, const std::vector<std::string>& answers);
double squad_f1(const std::string& pred, const std::vector<std::string>& answers);

double accuracy(const std::vector<std::string>& pred, const std::vector<std::string>& ref);
double macro_f1(const std::vector<std::string>& pred, const std::vector<std::string>& ref);

}  // namespace qdq::quantization
