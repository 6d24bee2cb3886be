"""The GIL's cost in parallel: T threads each doing the same CPU-bound work.

Contenders: pure Python (the GIL serialises it), Rust holding the GIL
(`gil.spin`: serialised too) and Rust releasing it (`gil.spin_released`:
parallel). Beside them, `rust-native`: T OS threads of the same spin in the
lab's own Rust, no Python at all (`pyo3_lab.spin_batch`): what the machine
can give in parallel right now, the yardstick the others are judged by.
The wall time of the whole batch is what is measured.
"""

import threading
import time

import gil
import pyo3_lab


def spin_py(n):
    x = 1
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return x


NATIVE = "rust-native"

CONTENDERS = {
    "python": spin_py,
    "rust-gil-held": gil.spin,
    "rust-gil-released": gil.spin_released,
}


def batch(contender, threads, work):
    """Wall time of `threads` threads each calling the contender once on `work`."""
    if contender == NATIVE:
        return pyo3_lab.spin_batch(threads, work)
    fn = CONTENDERS[contender]
    pool = [threading.Thread(target=fn, args=(work,)) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def calibrate(contender, seconds):
    """The work size for which one thread takes about `seconds`.

    Timed in this thread, not in a new one: on a busy machine a new thread
    can wait milliseconds to be scheduled, and a small work would pass for a
    big one. The size found is timed three times more and the best kept, in
    case one timing included a moment this thread was not running.
    """
    if contender == NATIVE:
        return pyo3_lab.calibrate(seconds)
    fn = CONTENDERS[contender]

    def took(work):
        start = time.perf_counter()
        fn(work)
        return time.perf_counter() - start

    work = 1000
    while True:
        # A size is taken only when even its best timing is long enough to
        # scale from; one inflated timing alone does not end the search.
        if took(work) >= seconds / 4:
            best = min(took(work) for _ in range(3))
            if best >= seconds / 8:
                return max(1, int(work * seconds / best))
        work *= 4


# Each contender's work size, from `scaling`'s calibration, for `confirm`.
_work = {}


def scaling(thread_counts, seconds, repeats=3):
    """[(contender, threads, wall)] for every contender and thread count.

    Each wall time is the best of `repeats` batches. The batches are taken
    in turn, every contender and thread count once per repeat, so the
    contenders and the native yardstick see the same machine, and a moment
    of noise on a shared machine does not pass for a speed-up or a slowdown.
    One line per repeat is printed: the lab shows it as progress.
    """
    names = [NATIVE, *CONTENDERS]
    _work.update({c: calibrate(c, seconds) for c in names})
    return _rounds(names, thread_counts, repeats)


def confirm(contenders, thread_counts, repeats):
    """More rounds of `contenders` alone, on the work `scaling` calibrated.

    For a result that looked like a failure: a busy moment can only slow a
    batch, so the best of more rounds can only bring a function that really
    runs in parallel closer to its true speed-up; one that holds the GIL
    stays at 1x however many rounds it is given.
    """
    return _rounds(contenders, thread_counts, repeats)


def _rounds(names, thread_counts, repeats):
    best = {(c, t): float("inf") for c in names for t in thread_counts}
    for r in range(repeats):
        for c in names:
            for t in thread_counts:
                best[c, t] = min(best[c, t], batch(c, t, _work[c]))
        print(f"batch {r + 1} of {repeats}", flush=True)
    return [(c, t, best[c, t]) for c in names for t in thread_counts]
