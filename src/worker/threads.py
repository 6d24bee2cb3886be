"""T Python threads calling one function at once: the worker's side of a
thread sweep. Each batch starts its threads together (a barrier) and is
timed from the start to the last join. Each thread makes enough calls for a
batch to last about 30 ms whatever T is, so thread start-up and the
scheduler's noise do not decide the figure.

Beside each batch, T OS threads of a native Rust spin (no Python, no GIL:
`pyo3_lab.spin_batch`) run for about 15 ms: what the machine could give in
parallel at that moment, the yardstick the function's speed-up is judged by.
Every round's figures are returned: the lab judges each round's speed-up
against that round's yardstick (pairs), never a best against a best."""

import threading
import time

import pyo3_lab
import pyo3_lab_compare


BATCH = 0.03
NATIVE = 0.015
_native_work = None


def native_work():
    global _native_work
    if _native_work is None:
        _native_work = pyo3_lab.calibrate(NATIVE)
    return _native_work


def batch(f, args, threads, calls):
    """Wall time of `threads` threads each making `calls` calls, started
    together; the CPU time the whole process spent meanwhile (a function
    that is parallel inside keeps several cores busy with one thread); the
    last result of each thread."""
    out = [None] * threads
    errors = []
    barrier = threading.Barrier(threads + 1)

    def work(i):
        barrier.wait()
        try:
            for _ in range(calls):
                out[i] = f(*args)
        except BaseException as e:  # reported, not raised in a thread
            errors.append(f"{type(e).__name__}: {e}")

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    start, cpu = time.perf_counter(), time.process_time()
    barrier.wait()
    for t in pool:
        t.join()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if errors:
        raise RuntimeError(errors[0])
    return wall, cpu, out


def run(f, args, counts, batches, check):
    """[(threads, [wall per call], [native wall], [cores busy])], a figure
    per round for each thread count (cores busy: CPU time over wall time),
    the repr of a result, and where a result differed from what `check`
    wants (None when every one agreed, or there was nothing to check).

    Every round takes every thread count in turn, each beside its native
    yardstick (before it in odd rounds, after it in even ones), so the
    counts and the yardstick see the same moment of the machine: a burst of
    load hits both halves of a pair alike.
    """
    # The best of three: one timing on a busy machine may include a moment
    # the thread was not running, and too few calls would follow from it.
    one = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        f(*args)
        one = min(one, time.perf_counter() - start)
        if one > BATCH:
            break
    one = max(one, 1e-9)
    calls = max(1, int(BATCH / one + 0.5))
    walls = {t: [] for t in counts}
    cores = {t: [] for t in counts}
    native = {t: [] for t in counts}
    wrong = None
    shown = None
    for r in range(batches):
        for threads in counts:
            if r % 2:
                native[threads].append(pyo3_lab.spin_batch(threads, native_work()))
            wall, cpu, out = batch(f, args, threads, calls)
            walls[threads].append(wall / calls)
            cores[threads].append(cpu / max(wall, 1e-9))
            if not r % 2:
                native[threads].append(pyo3_lab.spin_batch(threads, native_work()))
            shown = out[0]
            if check is not None and wrong is None:
                wrong = next((w for w in map(check, out) if w is not None), None)
    rows = [(t, walls[t], native[t], cores[t]) for t in counts]
    return rows, pyo3_lab_compare.shown(shown), wrong
