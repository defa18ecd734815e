#!/usr/bin/env bash
# Runs every row of docs/errors.md: bad input -> one-line error naming the
# problem, exit status 1..127, no output file. Usage: errors.sh QDQRT FIXTURES
set -uo pipefail
Q=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); F=$(cd "$2" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(mktemp -d); trap 'rm -rf "$B"' EXIT
S=$F/qdqbert-seqcls

# --- broken inputs -----------------------------------------------------------
mkcopy() { mkdir -p "$B/$1"; cp "$S"/config.json "$S"/vocab.txt "$S"/tokenizer_config.json "$B/$1/"; }
mkcopy truncated; head -c 100000 "$S/model.safetensors" > "$B/truncated/model.safetensors"
mkcopy hdrlen; python3 - "$B/hdrlen/model.safetensors" <<'PY'
import struct, sys; open(sys.argv[1], "wb").write(struct.pack("<Q", 1 << 40) + b"{}")
PY
mkcopy hdrjson; python3 - "$B/hdrjson/model.safetensors" <<'PY'
import struct, sys; h = b'{"a": [1, 2'; open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h)
PY
mkcopy bintrunc; head -c 5000 "$S/pytorch_model.bin" > "$B/bintrunc/pytorch_model.bin"
mkcopy binevil; python3 - "$B/binevil/pytorch_model.bin" <<'PY'
import sys, zipfile
# protocol 2 pickle: GLOBAL os system, a string argument, REDUCE: what an attack looks like
pkl = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", pkl)
    z.writestr("archive/version", "3\n")
PY
mkcopy badconfig; echo '{"model_type": "bert",' > "$B/badconfig/config.json"; ln -s "$S/model.safetensors" "$B/badconfig/"
mkcopy gpt; sed -i 's/"model_type": "qdqbert"/"model_type": "gpt2"/' "$B/gpt/config.json"; ln -s "$S/model.safetensors" "$B/gpt/"
mkcopy hidden; sed -i 's/"hidden_size": 64/"hidden_size": 128/' "$B/hidden/config.json"; ln -s "$S/model.safetensors" "$B/hidden/"
mkdir -p "$B/novocab"; cp "$S/config.json" "$B/novocab/"; ln -s "$S/model.safetensors" "$B/novocab/"
mkdir -p "$B/exists"
python3 - "$S" "$B" <<'PY'
import json, struct, sys, math
S, B = sys.argv[1], sys.argv[2]
def read_st(p):
    d = open(p, "rb").read(); n = struct.unpack("<Q", d[:8])[0]; h = json.loads(d[8:8+n])
    meta = h.pop("__metadata__", None)
    return {k: (v, d[8+n+v["data_offsets"][0]:8+n+v["data_offsets"][1]]) for k, v in h.items()}, meta
def write_st(p, ts, meta=None):
    h, off, blobs = {}, 0, []
    for k, (dt, shape, b) in ts.items():
        h[k] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}; off += len(b); blobs.append(b)
    if meta: h["__metadata__"] = meta
    hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
    open(p, "wb").write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
w, meta = read_st(S + "/model.safetensors")
write_st(B + "/noclassifier.model.safetensors",
         {k: (v["dtype"], v["shape"], b) for k, (v, b) in w.items() if not k.startswith("classifier.weight")}, meta)
inp, _ = read_st(S + "/inputs.safetensors")
test = {k[5:]: (v["dtype"], v["shape"], b) for k, (v, b) in inp.items() if k.startswith("test.")}
write_st(B + "/noids.safetensors", {k: v for k, v in test.items() if k != "input_ids"})
ids = test["input_ids"]; nb = bytearray(ids[2]); nb[8:16] = struct.pack("<q", 99999)
write_st(B + "/bigid.safetensors", dict(test, input_ids=(ids[0], ids[1], bytes(nb))))
m = test["attention_mask"]; vals = struct.unpack("<%dq" % (len(m[2]) // 8), m[2])
fm = [float(x) for x in vals]; fm[3] = math.nan
write_st(B + "/nanmask.safetensors", dict(test, attention_mask=("F32", m[1], struct.pack("<%df" % len(fm), *fm))))
# forward's optional inputs: a head mask of neither [heads] nor [layers, heads]; ids and embeddings both.
write_st(B + "/headmask.safetensors", dict(test, head_mask=("F32", [3, 4], struct.pack("<12f", *[1.0] * 12))))
write_st(B + "/both.safetensors", dict(test, inputs_embeds=("F32", [3, 23, 64], bytes(3 * 23 * 64 * 4))))
amax = json.load(open(S + "/amax_max.json"))
def dump(name, t): json.dump(t, open(B + "/" + name, "w"))
dump("amax_missing.json", {k: v for k, v in amax.items() if k != "bert.encoder.layer.1.output.dense._input_quantizer"})
k0 = "bert.encoder.layer.0.attention.self.query._input_quantizer"
dump("amax_zero.json", dict(amax, **{k0: 0.0}))
dump("amax_neg.json", dict(amax, **{k0: -1.0}))
kw = "bert.encoder.layer.0.attention.self.query._weight_quantizer"
dump("amax_len.json", dict(amax, **{kw: amax[kw][:-1]}))
ts = {}
for k, v in amax.items():
    vs = v if isinstance(v, list) else [v]
    if k == k0: vs = [math.nan]
    ts[k + "._amax"] = ("F32", [len(vs), 1] if isinstance(v, list) else [], struct.pack("<%df" % len(vs), *vs))
write_st(B + "/amax_nan.safetensors", ts)
ts_ok = {k: v for k, v in ts.items()}
vs = amax[k0]; ts_ok[k0 + "._amax"] = ("F32", [], struct.pack("<f", vs))
write_st(B + "/amax_floatmeta.safetensors", ts_ok, {"format": "pt", "qdqrt.float_quantizers": '{"a": 1}'})
open(B + "/target.jsonl", "w").write('{"text": "a prompt", "target": "a continuation"}\n')
open(B + "/badtarget.jsonl", "w").write('{"text": "a source", "target": 7}\n')
open(B + "/emptyprompt.jsonl", "w").write('{"text": ""}\n')
open(B + "/latin1.txt", "wb").write(b"caf\xe9 au lait\n")
open(B + "/latin1.jsonl", "wb").write(b'{"text": "caf\xe9"}\n')
open(B + "/empty.txt", "w").close()
open(B + "/blank.txt", "w").write("\n")
open(B + "/long.txt", "w").write(" ".join(["word"] * 600) + "\n")
open(B + "/bad.jsonl", "w").write('{"text": "fine"}\n{"text": oops}\n')
open(B + "/nochoices.jsonl", "w").write('{"context": "a", "choices": ["b"]}\n{"context": "c", "choices": "d"}\n')
open(B + "/notext.jsonl", "w").write('{"title": "no text here"}\n')
open(B + "/two.txt", "w").write("first\nsecond\n")
open(B + "/noctx.txt", "w").write("a question without its context\n")
open(B + "/partial_labels.jsonl", "w").write('{"text": "a", "label": "libs"}\n{"text": "b"}\n')
open(B + "/float_label.jsonl", "w").write('{"text": "a", "label": 1.5}\n')
PY
ln -s "$S/model.safetensors" "$B/weights_link.safetensors"
mkcopy noclassifier; mv "$B/noclassifier.model.safetensors" "$B/noclassifier/model.safetensors"
# An int8 directory whose metadata was tampered with: written by quantize, then edited.
if "$Q" quantize -q --model "$S" --amax "$S/amax_max.json" --out "$B/int8bad" 2>/dev/null; then
  python3 - "$B/int8bad/model.safetensors" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read())
i = d.find(b'"qdqrt.quantized"'); j = d.find(b'"int8"', i)
d[j:j + 6] = b'"int4"'
open(p, "wb").write(bytes(d))
PY
else
  mkdir -p "$B/int8bad"
fi
"$Q" quantize -q --model "$S" --amax "$S/amax_max.json" --out "$B/int8" 2>/dev/null || mkdir -p "$B/int8"

# Issue 17: amax tables that know their model; question answering without a context.
python3 - "$F" "$B" <<'PY'
import json, sys
F, B = sys.argv[1], sys.argv[2]
t = json.load(open(F + "/qdqbert-heads/nsp/amax_max.json"))
# What calibrate writes for a table, claiming NSP's model (a hash no weights have).
meta = {"model_type": "bert", "architecture": "QDQBertForNextSentencePrediction", "weights_hash": "fnv1a64:0123456789abcdef"}
json.dump(dict({"__metadata__": meta}, **t), open(B + "/nsp_identity.json", "w"))
# The fixture's multiple-choice and NSP checkpoints share their encoder bit for bit (one seed), so each
# one's table is right for the other. Another model: multiple-choice with every weight scaled by 1.25,
# as fine-tuning would move them.
import os, shutil, struct
mc = F + "/qdqbert-heads/multiple-choice"
os.makedirs(B + "/mc_tuned", exist_ok=True)
for f in os.listdir(mc):
    if f.endswith((".json", ".txt")) and not f.startswith(("amax", "meta")): shutil.copy(mc + "/" + f, B + "/mc_tuned/" + f)
d = open(mc + "/model.safetensors", "rb").read(); n = struct.unpack("<Q", d[:8])[0]; h = json.loads(d[8:8 + n])
body = bytearray(d[8 + n:])
for k, v in h.items():
    if k != "__metadata__" and v["dtype"] == "F32":
        a, e = v["data_offsets"]; c = (e - a) // 4
        body[a:e] = struct.pack("<%df" % c, *[x * 1.25 for x in struct.unpack("<%df" % c, body[a:e])])
open(B + "/mc_tuned/model.safetensors", "wb").write(d[:8 + n] + bytes(body))
open(B + "/qa_nocontext.txt", "w").write("who is the license steward?\n")
open(B + "/qa_emptycontext.jsonl", "w").write('{"question": "who?", "context": "the steward"}\n{"question": "who?", "context": ""}\n')
open(B + "/qa_longq.jsonl", "w").write(json.dumps({"question": " ".join(["steward"] * 20), "context": "the steward"}) + "\n")
open(B + "/qa_long.jsonl", "w").write(json.dumps({"question": "who?", "context": " ".join(["steward"] * 100)}) + "\n")
PY

# --- run the table -------------------------------------------------------------
pass=0; fail=0
while IFS='|' read -r _ num what cmd expect _; do
  num=$(echo "$num" | tr -d ' '); [[ "$num" =~ ^[0-9]+$ ]] || continue
  cmd=$(echo "$cmd" | sed -e 's/^ *`//' -e 's/` *$//'); expect=$(echo "$expect" | sed -e 's/^ *`//' -e 's/` *$//')
  OUT="$B/out_$num"
  err=$(Q=$Q F=$F B=$B OUT=$OUT eval "$cmd" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | grep -c 'error:' || true)  # 'error:' lines: a help listing may say 'error' in prose
  why=""
  if [ $rc -eq 0 ] || [ $rc -ge 128 ]; then why="exit status $rc"; fi
  if [ -z "$why" ] && ! printf '%s' "$err" | grep -qF -- "$expect"; then why="message lacks '$expect'"; fi
  if [ -z "$why" ] && [ "$lines" -ne 1 ]; then why="$lines error lines"; fi
  if [ -z "$why" ] && ls "$B" | grep -q "^out_$num"; then why="left an output file"; fi
  if [ -z "$why" ] && ls -a "$B" | grep -q "^\.out_$num"; then why="left a temporary file"; fi
  if [ -n "$why" ]; then
    fail=$((fail + 1)); echo "FAIL #$num ($what): $why"; printf '   stderr: %s\n' "$err" | head -3
  else
    pass=$((pass + 1))
  fi
done < "$ROOT/docs/errors.md"
echo "errors.md: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -ge 30 ]
