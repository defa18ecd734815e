#include "quantization/metrics.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"

namespace qdq::quantization {

namespace {

std::string lower_ascii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

size_t lcs(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

double token_f1(const std::vector<std::string>& p, const std::vector<std::string>& r) {
  if (p.empty() || r.empty()) return p.empty() && r.empty() ? 1.0 : 0.0;
  std::map<std::string, int> count;
  for (auto& w : r) ++count[w];
  int common = 0;
  for (auto& w : p)
    if (count[w]-- > 0) ++common;
  if (common == 0) return 0.0;
  const double prec = double(common) / p.size(), rec = double(common) / r.size();
  return 2 * prec * rec / (prec + rec);
}

}  // namespace

std::vector<std::string> words(const std::string& s) { return split_ws(lower_ascii(s)); }

double rouge_l_f1(const std::string& pred, const std::string& ref) {
  const auto p = words(pred), r = words(ref);
  if (p.empty() || r.empty()) return p.empty() && r.empty() ? 1.0 : 0.0;
  const double l = static_cast<double>(lcs(p, r));
  if (l == 0) return 0.0;
  const double prec = l / p.size(), rec = l / r.size();
  return 2 * prec * rec / (prec + rec);
}

bool exact_match(const std::string& pred, const std::string& ref) { return words(pred) == words(ref); }

std::string squad_normalize(const std::string& s) {
  std::string no_punct;
  for (char c : lower_ascii(s))
    if (!std::ispunct(static_cast<unsigned char>(c))) no_punct += c;
  std::string out;
  for (auto& w : split_ws(no_punct)) {
    if (w == "a" || w == "an" || w == "the") continue;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

double squad_exact(const std::string& pred, const std::vector<std::string>& answers) {
  double best = 0;
  for (auto& a : answers) best = std::max(best, squad_normalize(pred) == squad_normalize(a) ? 1.0 : 0.0);
  return best;
}

double squad_f1(const std::string& pred, const std::vector<std::string>& answers) {
  double best = 0;
  for (auto& a : answers) best = std::max(best, token_f1(split_ws(squad_normalize(pred)), split_ws(squad_normalize(a))));
  return best;
}

double accuracy(const std::vector<std::string>& pred, const std::vector<std::string>& ref) {
  check(pred.size() == ref.size(), "accuracy: {} predictions for {} references", pred.size(), ref.size());
  if (ref.empty()) return 0.0;
  size_t ok = 0;
  for (size_t i = 0; i < ref.size(); ++i) ok += pred[i] == ref[i];
  return double(ok) / ref.size();
}

double macro_f1(const std::vector<std::string>& pred, const std::vector<std::string>& ref) {
  check(pred.size() == ref.size(), "macro F1: {} predictions for {} references", pred.size(), ref.size());
  std::set<std::string> labels(ref.begin(), ref.end());
  labels.insert(pred.begin(), pred.end());
  if (labels.empty()) return 0.0;
  double sum = 0;
  for (auto& l : labels) {
    int64_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      tp += pred[i] == l && ref[i] == l;
      fp += pred[i] == l && ref[i] != l;
      fn += pred[i] != l && ref[i] == l;
    }
    sum += tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }
  return sum / labels.size();
}

}  // namespace qdq::quantization
