#!/usr/bin/env python3
"""Helpers for the BERT CLI tests (stdlib only): safetensors read/write,
comparisons against fixture outputs, test checkpoints with extra heads."""
import json, math, random, struct, sys

DT = {"F32": ("f", 4), "I64": ("q", 8), "F64": ("d", 8), "I32": ("i", 4)}


def read_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        fmt, size = DT[v["dtype"]]
        a, b = v["data_offsets"]
        cnt = (b - a) // size
        out[k] = (v["dtype"], v["shape"], list(struct.unpack("<%d%s" % (cnt, fmt), data[a:b])))
    return out


def write_st(path, tensors):
    header, blobs, off = {}, [], 0
    for k, (dt, shape, vals) in tensors.items():
        fmt, size = DT[dt]
        b = struct.pack("<%d%s" % (len(vals), fmt), *vals)
        header[k] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def compare(got_path, want_path, atol, rtol):
    got, want = read_st(got_path), read_st(want_path)
    for k, (_, shape, w) in want.items():
        if k not in got:
            fail("%s missing in %s" % (k, got_path))
        if got[k][1] != shape:
            fail("%s shape %s != %s" % (k, got[k][1], shape))
        worst = max(abs(g - x) - (atol + rtol * abs(x)) for g, x in zip(got[k][2], w))
        if worst > 0:
            fail("%s exceeds atol %g rtol %g by %g" % (k, atol, rtol, worst))
    print("ok: %s matches %s" % (got_path, want_path))


def bulk(got_path, want_path, meta_path):
    """README fake-quant check: per output at most `max_fraction_outside_bulk_atol` of the
    elements differ by more than bulk_atol, none by more than max_abs."""
    fq = json.load(open(meta_path))["recommended_tolerance"]["fakequant"]
    got, want = read_st(got_path), read_st(want_path)
    for k, (_, shape, w) in want.items():
        t = fq["per_output"][k]
        d = [abs(g - x) for g, x in zip(got[k][2], w)]
        frac = sum(x > fq["bulk_atol"] for x in d) / len(d)
        if got[k][1] != shape or max(d) > t["max_abs"] or frac > t["max_fraction_outside_bulk_atol"]:
            fail("%s: max %g (bound %g), frac %g (bound %g)" % (k, max(d), t["max_abs"], frac,
                                                            t["max_fraction_outside_bulk_atol"]))
        print("ok: %s max |diff| %.3g, frac > %g: %.3g" % (k, max(d), fq["bulk_atol"], frac))


def make_head(src, dst, kind):
    """Fixture weights + random head weights (token classification or masked LM)."""
    import shutil
    random.seed(7)
    for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src + "/" + f, dst + "/" + f)
    cfg = json.load(open(src + "/config.json"))
    w = read_st(src + "/model.safetensors")
    h = cfg["hidden_size"]
    rnd = lambda n, s=0.2: [random.gauss(0, s) for _ in range(n)]
    w = {k: v for k, v in w.items() if not k.startswith(("classifier.", "qa_outputs.", "bert.pooler."))}
    if kind == "token":
        cfg["architectures"] = ["QDQBertForTokenClassification"]
        cfg["id2label"] = {"0": "O", "1": "B-X", "2": "I-X"}
        cfg["label2id"] = {"O": 0, "B-X": 1, "I-X": 2}
        w["classifier.weight"] = ("F32", [3, h], rnd(3 * h))
        w["classifier.bias"] = ("F32", [3], rnd(3))
    else:
        cfg["architectures"] = ["QDQBertForMaskedLM"]
        v = cfg["vocab_size"]
        w["cls.predictions.transform.dense.weight"] = ("F32", [h, h], rnd(h * h))
        w["cls.predictions.transform.dense.bias"] = ("F32", [h], rnd(h))
        w["cls.predictions.transform.LayerNorm.weight"] = ("F32", [h], [1 + x for x in rnd(h, 0.1)])
        w["cls.predictions.transform.LayerNorm.bias"] = ("F32", [h], rnd(h, 0.1))
        w["cls.predictions.bias"] = ("F32", [v], rnd(v, 0.1))
    json.dump(cfg, open(dst + "/config.json", "w"))
    write_st(dst + "/model.safetensors", w)


def softmax(x):
    m = max(x)
    e = [math.exp(v - m) for v in x]
    s = sum(e)
    return [v / s for v in e]


def check_seqcls_jsonl(jsonl, outputs, id2label_json):
    """encode's JSONL vs the fixture logits (rows in input order)."""
    labels = json.load(open(id2label_json))["id2label"]
    _, shape, logits = read_st(outputs)["logits"]
    L = shape[1]
    rows = [json.loads(l) for l in open(jsonl)]
    if len(rows) != shape[0]:
        fail("%d results for %d inputs" % (len(rows), shape[0]))
    for i, r in enumerate(rows):
        p = softmax(logits[i * L:(i + 1) * L])
        best = max(range(L), key=lambda j: p[j])
        if r["label"] != labels[str(best)] or abs(r["score"] - p[best]) > 1e-4:
            fail("row %d: %s vs label %s score %g" % (i, r, labels[str(best)], p[best]))
        for j in range(L):
            if abs(r["scores"][labels[str(j)]] - p[j]) > 1e-4:
                fail("row %d scores %s vs %s" % (i, r["scores"], p))
    print("ok: %s agrees with %s" % (jsonl, outputs))


def compare_tokens(got_path, want_path, names, atol, rtol):
    """Per-token outputs of encode (padded to the longest input) vs the fixture's, over real tokens."""
    got, want = read_st(got_path), read_st(want_path)
    _, mshape, mask = got["attention_mask"]
    N, Tg = mshape
    for n in names:
        _, gs, g = got[n]
        _, ws, w = want[n]
        Tw = ws[1]
        inner = 1
        for d in ws[2:]:
            inner *= d
        for b in range(N):
            for t in range(Tg):
                if not mask[b * Tg + t]:
                    continue
                for i in range(inner):
                    x, y = g[(b * Tg + t) * inner + i], w[(b * Tw + t) * inner + i]
                    if abs(x - y) > atol + rtol * abs(y):
                        fail("%s[%d,%d,%d]: %g vs %g" % (n, b, t, i, x, y))
    print("ok: %s %s match %s on real tokens" % (got_path, names, want_path))


def same_json(a, b, tol):
    def eq(x, y, path):
        if isinstance(x, float) or isinstance(y, float):
            if abs(x - y) > tol:
                fail("%s: %r vs %r" % (path, x, y))
        elif isinstance(x, dict):
            if set(x) != set(y):
                fail("%s: keys %s vs %s" % (path, sorted(x), sorted(y)))
            for k in x:
                eq(x[k], y[k], path + "." + k)
        elif isinstance(x, list):
            if len(x) != len(y):
                fail("%s: lengths %d vs %d" % (path, len(x), len(y)))
            for i, (u, v) in enumerate(zip(x, y)):
                eq(u, v, "%s[%d]" % (path, i))
        elif x != y:
            fail("%s: %r vs %r" % (path, x, y))
    la, lb = open(a).read().splitlines(), open(b).read().splitlines()
    if len(la) != len(lb):
        fail("%d vs %d lines" % (len(la), len(lb)))
    for i, (x, y) in enumerate(zip(la, lb)):
        eq(json.loads(x), json.loads(y), "line %d" % (i + 1))
    print("ok: %s and %s agree within %g" % (a, b, tol))


def schema(jsonl, kind, n):
    rows = [json.loads(l) for l in open(jsonl)]
    if len(rows) != n:
        fail("%s: %d rows, expected %d" % (jsonl, len(rows), n))
    for r in rows:
        if kind == "bare":
            ok = isinstance(r.get("embedding"), list) and all(isinstance(v, float) for v in r["embedding"])
        elif kind == "qa":
            ok = {"answer", "score", "start", "end"} <= set(r) and 0 <= r["score"] <= 1
        elif kind == "token":
            ok = isinstance(r.get("entities"), list) and all(
                {"entity", "score", "index", "word", "start", "end"} <= set(e) and not e["word"].startswith("[")
                for e in r["entities"])
        elif kind == "mlm":
            ok = isinstance(r.get("masks"), list) and all(
                len(m["fills"]) == 5 and all({"token", "token_str", "score", "sequence"} <= set(f) for f in m["fills"])
                and all(m["fills"][i]["score"] >= m["fills"][i + 1]["score"] for i in range(4)) for m in r["masks"])
        else:
            ok = False
        if not ok:
            fail("%s: bad %s row %s" % (jsonl, kind, str(r)[:300]))
    print("ok: %s schema %s" % (jsonl, kind))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "compare":
        compare(args[0], args[1], float(args[2]), float(args[3]))
    elif cmd == "bulk":
        bulk(*args)
    elif cmd == "make-head":
        make_head(*args)
    elif cmd == "seqcls-jsonl":
        check_seqcls_jsonl(*args)
    elif cmd == "compare-tokens":
        compare_tokens(args[0], args[1], args[2].split(","), float(args[3]), float(args[4]))
    elif cmd == "same-json":
        same_json(args[0], args[1], float(args[2]))
    elif cmd == "schema":
        schema(args[0], args[1], int(args[2]))
    elif cmd == "test-texts":  # meta.json test_inputs as lines (a pair joined by a tab)
        for t in json.load(open(args[0]))["test_inputs"]:
            print("\t".join(t) if isinstance(t, list) else t)
    else:
        fail("unknown command " + cmd)
