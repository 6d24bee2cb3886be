"""T Python threads calling one function at once: the worker's side of a
thread sweep. Each batch starts its threads together (a barrier) and is
timed from the start to the last join; the best of the batches is kept.
Each thread makes enough calls for a batch to last about 50 ms whatever T
is, so thread start-up and the scheduler's noise do not decide the figure.

After each batch, T OS threads of a native Rust spin (no Python, no GIL:
`pyo3_lab.spin_batch`) run for about 20 ms: what the machine could give in
parallel at that moment, the yardstick the function's speed-up is judged by."""

import json
import threading
import time

import pyo3_lab


BATCH = 0.05
NATIVE = 0.02
_native_work = None


def native_work():
    global _native_work
    if _native_work is None:
        _native_work = pyo3_lab.calibrate(NATIVE)
    return _native_work


def run(f, args, threads, batches, expect):
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
    best = None
    native = None
    right = True
    shown = None
    for _ in range(batches):
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
        start = time.perf_counter()
        barrier.wait()
        for t in pool:
            t.join()
        wall = time.perf_counter() - start
        if errors:
            raise RuntimeError(errors[0])
        best = wall if best is None else min(best, wall)
        spun = pyo3_lab.spin_batch(threads, native_work())
        native = spun if native is None else min(native, spun)
        shown = out[0]
        if expect is not None:
            want = json.loads(expect)
            right = right and all(r == want for r in out)
    return best / calls, repr(shown), right, native
