#pragma once
// Lossless speculative decoding for greedy search and sampling, on a model's multi-token cached
// forward (models::Generative::extend) with per-row rollback (DecoderState::truncate).
//
// Each forward feeds every row its pending token followed by a draft of the tokens after it, and
// the next-token scores at each fed position verify the draft: tokens are chosen exactly as plain
// decoding chooses them (the same logits processors on the same sequence), accepted while they
// equal the draft; the first one that differs (or the one after a fully accepted draft) ends the
// row's forward, and the cache forgets the rejected positions. Rows accept independently.
// Drafts: ProphetNet's predicting stream 1 at the next position (Speculative::Streams; it sees the
// main-stream keys/values stream 0 sees and predicts the token after next, in the same pass), and
// prompt lookup (transformers' PromptLookupCandidateGenerator: the tokens that followed the
// earliest earlier occurrence of the sequence's last n-gram). With both, the longer draft runs.
// Models whose rows must share one cache length (QDQBERT decoders) decode a batch row by row.
// Greedy: the output equals plain greedy search token for token. Sampling: stream drafts go
// through speculative sampling (accept with min(1, p/q), else draw from max(0, p - q)); a prompt
// lookup draft is a point mass (its q is 1), so a draw from p is accepted when it equals the draft.
// Either keeps the output distribution exactly that of plain sampling (not the same draws).
#include <vector>

#include "decoding/generate.h"

namespace qdq::decoding {

Result speculative_generate(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb);

// PromptLookupCandidateGenerator.get_candidates (transformers v4.37.2) on one row: for n-gram sizes
// from min(max_ngram, len - 1) down to 1, the first earlier window equal to the last n tokens whose
// continuation is non-empty gives up to num_tokens tokens; empty when none.
std::vector<int64_t> prompt_lookup(const std::vector<int64_t>& seq, int64_t num_tokens, int64_t max_ngram);

}  // namespace qdq::decoding
