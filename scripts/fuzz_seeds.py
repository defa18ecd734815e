#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets, made from tests/fixtures (small inputs only).

usage: fuzz_seeds.py FIXTURES_DIR OUT_DIR   -> OUT_DIR/<target>/seed_*
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

fixtures, out = sys.argv[1], sys.argv[2]


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None):
    """tensors: {name: (dtype, shape, bytes)}"""
    header, blob = {}, b""
    for n, (dt, shape, data) in tensors.items():
        header[n] = {"dtype": dt, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


# --- safetensors: small fixture files, and a header-sized sample of a big one
for root, _, files in os.walk(fixtures):
    for f in files:
        p = os.path.join(root, f)
        if f.endswith(".safetensors") and os.path.getsize(p) <= 65536:
            put("fuzz_safetensors", "seed_" + os.path.relpath(p, fixtures).replace("/", "_"), open(p, "rb").read())
big = open(os.path.join(fixtures, "qdqbert-seqcls/model.safetensors"), "rb").read(65536)
put("fuzz_safetensors", "seed_model_head", big)
put("fuzz_safetensors", "seed_all_dtypes", safetensors(
    {dt.lower(): (dt, [2], bytes(range(2 * size))) for dt, size in
     [("F64", 8), ("F32", 4), ("F16", 2), ("BF16", 2), ("I64", 8), ("I32", 4), ("I16", 2), ("I8", 1), ("U8", 1),
      ("BOOL", 1)]}, {"format": "pt"}))

# --- unpickler: the fixtures' data.pkl ('P' mode) and small torch-style zips
for d in ("qdqbert-seqcls", "prophetnet"):
    z = zipfile.ZipFile(os.path.join(fixtures, d, "pytorch_model.bin"))
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
    put("fuzz_unpickler", "seed_pkl_" + d, b"P" + z.read(pkl))

# A fake `torch` so that pickle writes exactly the globals torch.save writes.
torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils


def _rebuild_tensor_v2(*a):
    pass


_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
storage_types = {}
for name in ("FloatStorage", "LongStorage", "HalfStorage"):
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)
    storage_types[name] = cls


class Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", storage_types[obj.kind], obj.key, "cpu", obj.numel)
        return None


def torch_zip(state, storages, zip64=False):
    buf = io.BytesIO()
    p = io.BytesIO()
    TorchPickler(p, protocol=2).dump(state)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        def write(name, data):
            with z.open(name, "w", force_zip64=zip64) as f:
                f.write(data)
        write("archive/data.pkl", p.getvalue())
        write("archive/byteorder", b"little")
        for k, v in storages.items():
            write("archive/data/" + k, v)
        write("archive/version", b"3\n")
    return buf.getvalue()


s0, s1 = Storage("FloatStorage", "0", 6), Storage("LongStorage", "1", 3)
state = collections.OrderedDict()
state["w"] = FakeTensor(s0, 0, (2, 3), (3, 1))
state["w_t"] = FakeTensor(s0, 0, (3, 2), (1, 3))
state["tied"] = FakeTensor(s0, 0, (2, 3), (3, 1))
state["ids"] = FakeTensor(s1, 1, (2,), (1,))
storages = {"0": struct.pack("<6f", 1, 2, 3, 4, 5, 6), "1": struct.pack("<3q", 7, 8, 9)}
put("fuzz_unpickler", "seed_zip", b"Z" + torch_zip(state, storages))
put("fuzz_unpickler", "seed_zip64", b"Z" + torch_zip(state, storages, zip64=True))

# --- config: each fixture config.json, then a small config with matching weights
for root, _, files in os.walk(fixtures):
    if "config.json" in files:
        put("fuzz_config", "seed_" + os.path.basename(root), open(os.path.join(root, "config.json"), "rb").read())
cfg = json.dumps({"model_type": "bert", "hidden_size": 2, "vocab_size": 3, "num_hidden_layers": 1}).encode()
w = safetensors({"bert.embeddings.word_embeddings.weight": ("F32", [3, 2], bytes(24)),
                 "bert.embeddings.LayerNorm.weight": ("F32", [2], bytes(8)),
                 "bert.encoder.layer.0.output.dense.bias": ("F32", [2], bytes(8)),
                 "cls.predictions.bias": ("F32", [3], bytes(12))})
put("fuzz_config", "seed_small_bert", cfg + b"\0\0" + w)

# --- jsonl: lines of the tokenizer cases
with open(os.path.join(fixtures, "tokenizer/cases.jsonl"), "rb") as f:
    for i, line in enumerate(f):
        if i >= 40:
            break
        put("fuzz_jsonl", "seed_case_%02d" % i, line.rstrip(b"\n")[:4096])
# --- eval records: the trained models' dev records with their references, and hand-made ones
for name in ("dev-seqcls", "dev-s2s", "dev-lm", "hand-seqcls"):
    with open(os.path.join(fixtures, "trained/parity/%s.jsonl" % name), "rb") as f:
        put("fuzz_eval_records", "seed_" + name, b"".join(f.readlines()[:3])[:4096])
put("fuzz_eval_records", "seed_qa", b'{"question": "q", "context": "c", "answers": {"text": ["x"], "answer_start": [0]}}\n{"question": "r", "context": "d", "answers": ["y"]}')
put("fuzz_jsonl", "seed_utf8", '{"text": "caf\u00e9 \u20ac \U0001F600", "pair": null}'.encode())
