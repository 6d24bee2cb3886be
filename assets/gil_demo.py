"""The seed's GIL interleaving: a Python thread and a Rust thread on one list.

`scenario(double_list)` runs the seed's script with the Rust function it is
given (`gil.double_list`, which holds the GIL, or `gil.double_list_released`).
Every print is flushed as it happens, so the lab can timestamp each line; and
each phase of the Python thread leaves a mark (`trace()`), on the same clock
as the marks the Rust side leaves, so the lab can draw both threads' timelines.
"""

import functools
import threading
import time

print = functools.partial(print, flush=True)  # noqa: A001 - timestamps need every line at once

_marks = []

# The seed starts both threads back to back, so which prints first is a race
# that a busy machine can lose. The lab starts the Rust thread once the Python
# thread has said hello: the chapter's order, every time, and the lesson intact.
_entered = threading.Event()


def mark(what):
    _marks.append((time.perf_counter(), what))


def double_list_py(list, result, idx):  # noqa: A002 - the seed's names
    mark("start")
    print("Py: Enter double_list_py...")
    _entered.set()
    mark("sleep")
    time.sleep(0.1)
    mark("woke")  # sleep returns only once this thread holds the GIL again
    result[idx] = [x * 2 for x in list]
    print("Py: Exit...")
    mark("end")


def scenario(double_list):
    result = [[], []]
    nums = [1, 2, 3]

    t1 = threading.Thread(target=double_list_py, args=(nums, result, 0))
    t2 = threading.Thread(target=double_list, args=(nums, result, 1))

    _entered.clear()
    t1.start()
    _entered.wait()
    t2.start()

    t1.join()
    t2.join()

    print(f"Py: {result[0]}")
    print(f"Rust: {result[1]}")
    return result


def trace():
    """The Python thread's marks since the last call, as (perf_counter time, phase)."""
    marks = list(_marks)
    _marks.clear()
    return marks
