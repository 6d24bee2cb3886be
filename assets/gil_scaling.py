"""The GIL's cost in parallel: T threads each doing the same CPU-bound work.

Contenders: pure Python (the GIL serialises it), Rust holding the GIL
(`gil.spin`: serialised too) and Rust releasing it (`gil.spin_released`:
parallel). The wall time of the whole batch is what is measured.
"""

import threading
import time

import gil


def spin_py(n):
    x = 1
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return x


CONTENDERS = {
    "python": spin_py,
    "rust-gil-held": gil.spin,
    "rust-gil-released": gil.spin_released,
}


def batch(contender, threads, work):
    """Wall time of `threads` threads each calling the contender once on `work`."""
    fn = CONTENDERS[contender]
    pool = [threading.Thread(target=fn, args=(work,)) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start


def calibrate(contender, seconds):
    """The work size for which one thread takes about `seconds`."""
    work = 1000
    while True:
        took = batch(contender, 1, work)
        if took >= seconds / 4:
            return max(1, int(work * seconds / took))
        work *= 4


def scaling(thread_counts, seconds, repeats=3):
    """[(contender, threads, wall)] for every contender and thread count.

    Each wall time is the best of `repeats` batches, the thread counts taken
    in turn, so a moment of noise on a shared machine does not pass for a
    speed-up or a slowdown.
    """
    rows = []
    for contender in CONTENDERS:
        work = calibrate(contender, seconds)
        best = {threads: float("inf") for threads in thread_counts}
        for _ in range(repeats):
            for threads in thread_counts:
                best[threads] = min(best[threads], batch(contender, threads, work))
        rows.extend((contender, threads, wall) for threads, wall in best.items())
    return rows
