#!/usr/bin/env python3
"""Comparisons for the ONNX export tests (stdlib only): the outputs an exported
graph gives in ONNX Runtime against a reference file that may hold more
outputs (the fixtures keep last_hidden_state beside the head's logits)."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from bert_check import read_st, fail  # noqa: E402


def pairs(got_path, want_path):
    got, want = read_st(got_path), read_st(want_path)
    if not got:
        fail("%s holds no outputs" % got_path)
    for k, (_, shape, g) in got.items():
        if k not in want:
            fail("%s: output %s not in %s" % (got_path, k, want_path))
        if want[k][1] != shape:
            fail("%s: shape %s != %s" % (k, shape, want[k][1]))
        yield k, g, want[k][2]


def close(got_path, want_path, atol, rtol):
    """Every output of got within atol + rtol |want| of want."""
    atol, rtol = float(atol), float(rtol)
    for k, g, w in pairs(got_path, want_path):
        d = max(abs(a - b) for a, b in zip(g, w))
        worst = max(abs(a - b) - (atol + rtol * abs(b)) for a, b in zip(g, w))
        if worst > 0:
            fail("%s: max |diff| %g exceeds atol %g rtol %g" % (k, d, atol, rtol))
        print("ok: %s max |diff| %.3g (atol %g)" % (k, d, atol))


def bulk(got_path, want_path, meta_path):
    """The fixture's fake-quant tolerance: per output at most max_fraction_outside_bulk_atol of the
    elements differ by more than bulk_atol, none by more than max_abs."""
    fq = json.load(open(meta_path))["recommended_tolerance"]["fakequant"]
    for k, g, w in pairs(got_path, want_path):
        t = fq["per_output"][k]
        d = [abs(a - b) for a, b in zip(g, w)]
        frac = sum(x > fq["bulk_atol"] for x in d) / len(d)
        if max(d) > t["max_abs"] or frac > t["max_fraction_outside_bulk_atol"]:
            fail("%s: max %g (bound %g), frac %g (bound %g)" % (k, max(d), t["max_abs"], frac,
                                                            t["max_fraction_outside_bulk_atol"]))
        print("ok: %s max |diff| %.3g, frac > %g: %.3g" % (k, max(d), fq["bulk_atol"], frac))


def bound(got_path, want_path, bulk_atol, frac, max_abs):
    """Explicit bulk bounds: at most frac of the elements beyond bulk_atol, none beyond max_abs."""
    bulk_atol, frac, max_abs = float(bulk_atol), float(frac), float(max_abs)
    for k, g, w in pairs(got_path, want_path):
        d = [abs(a - b) for a, b in zip(g, w)]
        f = sum(x > bulk_atol for x in d) / len(d)
        if max(d) > max_abs or f > frac:
            fail("%s: max %g (bound %g), frac %g (bound %g)" % (k, max(d), max_abs, f, frac))
        print("ok: %s max |diff| %.3g, frac > %g: %.3g" % (k, max(d), bulk_atol, f))


def report(got_path, want_path, label):
    """Prints the max |diff| per output, no bound (ONNX Runtime's fused int8 kernels)."""
    for k, g, w in pairs(got_path, want_path):
        print("%s: %s max |diff| %.4g" % (label, k, max(abs(a - b) for a, b in zip(g, w))))


def atol_of(meta_path):
    return json.load(open(meta_path))["recommended_tolerance"]["fp32"]


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"close": close, "bulk": bulk, "bound": bound, "report": report}[cmd](*args)
