"""Results compared as a numeric programmer would: the worker's side of "is
this lane right?", used alike by the race, the differential check, the
thread sweep and `[expect]`.

- numpy arrays (anything with `__array__`) by shape, dtype kind and values;
- lists and tuples element by element (a tuple equals a list of the same
  items: JSON cannot tell them apart);
- floats exactly, or within `rel_tol`/`abs_tol` by `math.isclose`'s rule
  (the larger of the two bounds), NaN equal to NaN only with `equal_nan`.

A mismatch is put in words: where, the two values, and by how much.

Results travel between workers as JSON. A numpy array goes as its dtype,
shape and raw bytes (base64): exact, and quick for millions of elements."""

import base64
import json
import math
import reprlib

ARRAY = "__ndarray__"
SHOWN = 200
HINT = "; set `[check] rel_tol` in lab.toml if this is rounding"


def _is_array(x):
    return hasattr(x, "__array__") and not isinstance(
        x, (bool, int, float, complex, str, bytes, list, tuple, dict)
    )


def _default(o):
    if hasattr(o, "__array__"):
        import numpy

        a = numpy.asarray(o)
        if a.ndim == 0:
            return a.item()
        if a.dtype.kind in "biuf":
            a = numpy.ascontiguousarray(a)
            return {
                ARRAY: {
                    "dtype": a.dtype.str,
                    "shape": list(a.shape),
                    "data": base64.b64encode(a.tobytes()).decode("ascii"),
                }
            }
        return a.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def encode(result):
    """The result as JSON (NaN and infinities as Python writes them), or
    None when it has no JSON form."""
    try:
        return json.dumps(result, default=_default)
    except (TypeError, ValueError):
        return None


def _hook(d):
    if len(d) == 1 and ARRAY in d:
        import numpy

        a = d[ARRAY]
        data = base64.b64decode(a["data"])
        return numpy.frombuffer(data, dtype=numpy.dtype(a["dtype"])).reshape(a["shape"])
    return d


_decoded = (None, None)


def decode(text):
    """The value a JSON text stands for; the last one is kept, as every run
    of a lane is checked against the same answer."""
    global _decoded
    if _decoded[0] != text:
        _decoded = (text, json.loads(text, object_hook=_hook))
    return _decoded[1]


def shown(x):
    """repr() kept short, on one line: a long array shows its first and
    last elements (flattened), its shape and dtype; a long list its first
    items and its length."""
    # A long container's whole repr (a million floats is 20 MB of text)
    # would cost more than a run: one of over SHOWN items cannot be short.
    if not (isinstance(x, (list, tuple, dict, set)) and len(x) > SHOWN):
        text = " ".join(repr(x).split())
        if len(text) <= SHOWN:
            return text
    if _is_array(x):
        import numpy

        a = numpy.asarray(x)
        with numpy.printoptions(threshold=6, edgeitems=3, linewidth=10**6):
            flat = numpy.array2string(a.ravel(), separator=", ")
        return f"array({flat}, shape={a.shape}, dtype={a.dtype})"
    short = reprlib.Repr()
    short.maxlist = short.maxtuple = 3
    short.maxlevel = 3
    text = short.repr(x)
    if isinstance(x, (list, tuple)):
        text += f" ({len(x):,} items)"
    return text[: SHOWN * 2]


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _relative(a, e):
    scale = max(abs(a), abs(e))
    return abs(a - e) / scale if scale else 0.0


def _floats_differ(a, e, tol):
    """Why two numbers differ, or None when they agree under `tol`."""
    rel_tol, abs_tol, equal_nan = tol
    if a == e:
        return None
    a_nan = isinstance(a, float) and math.isnan(a)
    e_nan = isinstance(e, float) and math.isnan(e)
    if a_nan and e_nan:
        return None if equal_nan else "NaN vs NaN (set `[check] equal_nan = true` if NaN is a right answer)"
    if isinstance(a, int) and isinstance(e, int):
        return f"{a!r} vs {e!r} (off by {a - e:+,})"
    if not (a_nan or e_nan) and (rel_tol or abs_tol):
        if math.isclose(a, e, rel_tol=rel_tol, abs_tol=abs_tol):
            return None
    if a_nan or e_nan or math.isinf(a) or math.isinf(e):
        return f"{a!r} vs {e!r}"
    relative = _relative(a, e)
    why = f"{a!r} vs {e!r} (relative {relative:.2g}, absolute {abs(a - e):.2g})"
    # A last-bits difference is rounding (another order of additions) more
    # often than a bug: say which key settles it.
    return why + HINT if relative < 1e-9 and not rel_tol else why


def _at(where, why):
    return f"{where} differs: {why}" if where else why


def _arrays_differ(actual, expected, tol, where):
    import numpy

    a, e = numpy.asarray(actual), numpy.asarray(expected)
    if a.shape != e.shape:
        return _at(where, f"shape {a.shape} vs {e.shape}")
    both = _is_array(actual) and _is_array(expected)
    if both and a.dtype.kind != e.dtype.kind and {a.dtype.kind, e.dtype.kind} != {"i", "u"}:
        return _at(where, f"dtype {a.dtype} vs {e.dtype}")
    rel_tol, abs_tol, equal_nan = tol
    if a.dtype.kind in "fc" or e.dtype.kind in "fc":
        with numpy.errstate(invalid="ignore", over="ignore"):
            same = a == e
            if rel_tol or abs_tol:
                bound = numpy.maximum(rel_tol * numpy.maximum(abs(a), abs(e)), abs_tol)
                same |= abs(a - e) <= bound
            if equal_nan:
                same |= numpy.isnan(a) & numpy.isnan(e)
    else:
        same = numpy.asarray(a == e)
        if same.shape != a.shape:  # object arrays that would not compare
            return None if numpy.array_equal(a, e) else _at(where, "the arrays differ")
    bad = numpy.flatnonzero(~same)
    if bad.size == 0:
        return None
    first = bad[0]
    index = numpy.unravel_index(first, a.shape)
    place = f"{index[0]:,}" if len(index) == 1 else str(tuple(int(i) for i in index))
    x, y = a.flat[first].item(), e.flat[first].item()
    why = _floats_differ(x, y, tol) if _is_number(x) and _is_number(y) else f"{x!r} vs {y!r}"
    count = f"; {bad.size:,} of {a.size:,} elements differ" if bad.size > 1 else ""
    hint = HINT if why.endswith(HINT) else ""
    inner = f"element {place}" if not where else f"{where}, element {place}"
    return _at(inner, why.removesuffix(HINT) + count + hint)


def _differs(actual, expected, tol, where=""):
    if _is_array(actual) or _is_array(expected):
        return _arrays_differ(actual, expected, tol, where)
    if _is_number(actual) and _is_number(expected):
        why = _floats_differ(actual, expected, tol)
        return None if why is None else _at(where, why)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        # Python's own == first: quick, and exact lists are the usual case.
        if list(actual) == list(expected):
            return None
        if len(actual) != len(expected):
            return _at(where, f"length {len(actual):,} vs {len(expected):,}")
        for i, (x, y) in enumerate(zip(actual, expected)):
            why = _differs(x, y, tol, f"{where}[{i:,}]" if where else f"element {i:,}")
            if why is not None:
                return why
        return None
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            return _at(where, f"keys {sorted(map(str, actual))} vs {sorted(map(str, expected))}")
        for k in expected:
            why = _differs(actual[k], expected[k], tol, f"{where or 'item '}[{k!r}]")
            if why is not None:
                return why
        return None
    try:
        same = bool(actual == expected)
    except Exception as e:  # an == that raises is an answer that differs
        return _at(where, f"cannot compare {shown(actual)} with {shown(expected)}: {e}")
    return None if same else _at(where, f"{shown(actual)} vs {shown(expected)}")


def mismatch(actual, expected_json, rel_tol=0.0, abs_tol=0.0, equal_nan=False):
    """None when `actual` agrees with the value of `expected_json`, else where
    and by how much they differ (with a hint when tolerance would settle it)."""
    return _differs(actual, decode(expected_json), (rel_tol, abs_tol, equal_nan))


def checker(expected_json, rel_tol=0.0, abs_tol=0.0, equal_nan=False):
    """`mismatch` against one answer, as a function of the result alone."""
    return lambda actual: mismatch(actual, expected_json, rel_tol, abs_tol, equal_nan)
