#!/usr/bin/env python3
"""Helpers for tests/cli/qdqbert_decoder.sh (stdlib only): tensor subsets,
sequence / scalar / amax-table comparisons against the qdqbert-decoder fixture."""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_check import read_st, write_st, fail  # noqa: E402


def subset(src, dst, *pairs):
    """dst gets src's tensors renamed: NEW=OLD each."""
    t = read_st(src)
    write_st(dst, {p.split("=")[0]: t[p.split("=")[1]] for p in pairs})


def same_ints(got, got_key, want, want_key):
    g, w = read_st(got)[got_key], read_st(want)[want_key]
    if g[1:] != w[1:]:
        fail(f"{got_key} {g[1]} {g[2]} != {want_key} {w[1]} {w[2]}")


def close(got, got_key, want, want_key, atol):
    g, w = read_st(got)[got_key], read_st(want)[want_key]
    if g[1] != w[1]:
        fail(f"{got_key} shape {g[1]} != {w[1]}")
    worst = max(abs(a - b) for a, b in zip(g[2], w[2]))
    print(f"{got_key} vs {want_key}: max abs diff {worst:.3g} (atol {atol})")
    if worst > float(atol):
        fail(f"{got_key}: max abs diff {worst} > {atol}")


def amax(got, want, rtol):
    """Same quantizer names; values within rtol (per-channel lists element by element)."""
    g, w = json.load(open(got)), json.load(open(want))
    g.pop("__metadata__", None)  # qdqrt's tables name their model; the reference's do not
    w.pop("__metadata__", None)
    if set(g) != set(w):
        fail(f"amax names differ: only ours {sorted(set(g) - set(w))[:5]}, only theirs {sorted(set(w) - set(g))[:5]}")
    worst = 0.0
    for k in w:
        a = g[k] if isinstance(g[k], list) else [g[k]]
        b = w[k] if isinstance(w[k], list) else [w[k]]
        if len(a) != len(b):
            fail(f"{k}: {len(a)} values, expected {len(b)}")
        worst = max([worst] + [abs(x - y) / abs(y) for x, y in zip(a, b)])
    print(f"amax: {len(w)} names equal, max relative diff {worst:.3g} (rtol {rtol})")
    if worst > float(rtol):
        fail(f"amax values differ by {worst} (relative)")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"subset": subset, "same-ints": same_ints, "close": close, "amax": amax}[cmd](*args)
