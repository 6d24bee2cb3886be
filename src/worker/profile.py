"""One untimed call under cProfile: which of the reference's own Python
functions take the time. The worker's side of the "why" of a Python lane."""

import cProfile
import os
import pstats


def run(f, args, top):
    """[(function, cumulative seconds, share of the call)] for the top
    Python functions by cumulative time, the called function itself left
    out when it called others (its share is the whole call)."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        f(*args)
    finally:
        profile.disable()
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-12)
    entry = getattr(getattr(f, "__code__", None), "co_name", None)
    rows = []
    for (file, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        # Built-ins ("~") and the profiler's own frames are not Python code
        # a person could port.
        # The lab's own helpers (a scenario's driver) are not either.
        if (
            file.startswith("~")
            or file.startswith("<")
            or "cProfile" in file
            or os.path.basename(file).startswith("pyo3_lab_")
        ):
            continue
        rows.append((name, f"{os.path.basename(file)}:{line}", cumulative))
    rows.sort(key=lambda r: -r[2])
    if len(rows) > 1 and rows[0][0] == entry:
        rows = rows[1:]
    return [(f"{name} ({where})", c, min(c / total, 1.0)) for name, where, c in rows[:top]]
