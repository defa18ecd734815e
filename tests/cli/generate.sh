#!/bin/bash
# qdqrt generate end to end on the encoder-decoder fixture: tensors in,
# sequences out equal to transformers' greedy / beam `sequences`; text mode
# runs; bad flags fail with one line.
set -euo pipefail
BIN=$1; FX=$2; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
ED=$FX/encoder-decoder
cmp_seq() {  # file key-in-reference
  python3 - "$1" "$ED/generate.safetensors" "$2" <<'PY'
import json, struct, sys
def rd(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]
def get(p, k):
    h, d = rd(p); e = h[k]; a, b = e['data_offsets']
    return e['shape'], list(struct.unpack('<%dq' % ((b - a) // 8), d[a:b]))
got = get(sys.argv[1], 'sequences'); want = get(sys.argv[2], sys.argv[3] + '.sequences')
sys.exit(0 if got == want else f'{sys.argv[3]}: {got} != {want}')
PY
}
"$BIN" generate -m "$ED" --tensors-in "$ED/inputs.safetensors" --tensors-out "$T/g.safetensors" --max-length 20 \
  2>"$T/g.log"
# The throughput line scripts/bench_generate.sh reads (it went missing once for --tensors-in).
grep -q "generate: 2 inputs, .* new tokens/s" "$T/g.log" || { cat "$T/g.log"; exit 1; }
cmp_seq "$T/g.safetensors" greedy
"$BIN" generate -m "$ED" --tensors-in "$ED/inputs.safetensors" --tensors-out "$T/b.safetensors" --max-length 20 \
  --num-beams 3 --no-repeat-ngram-size 3 --early-stopping true
cmp_seq "$T/b.safetensors" beam
out=$("$BIN" generate -m "$ED" "Object Code Incorporating Material from Library Header Files." --max-new-tokens 5)
[ -n "$out" ]
"$BIN" generate -m "$FX/prophetnet" -o "$T/o.jsonl" "one" "two words" --num-beams 2 --max-length 8
[ "$(wc -l < "$T/o.jsonl")" = 2 ]
s1=$("$BIN" generate -m "$FX/prophetnet" "a text" --do-sample --seed 9 --max-length 10)
s2=$("$BIN" generate -m "$FX/prophetnet" "a text" --do-sample --seed 9 --max-length 10)
[ "$s1" = "$s2" ]
if "$BIN" generate -m "$ED" "x" --top-p 0 2>"$T/err"; then exit 1; fi
[ "$(grep -c 'error:' "$T/err")" = 1 ]  # one error line (then the usage line, as every usage error)
echo ok
