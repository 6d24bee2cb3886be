"""The calls `pyo3-lab profile` recorded of a function as the program really
made them, replayed: one run is one pass over them, so a race measures a
port on the program's own mix of sizes. Each lane's answers are checked,
call by call, against what the program itself got: a lane that answers one
otherwise raises, naming the call."""

import os
import pickle


def replay(f, path):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, path), "rb") as fh:
        calls = pickle.load(fh)["calls"]
    yield "calls"
    results = [f(*args, **kwargs) for args, kwargs, _, _ in calls]
    yield None
    for i, (got, (args, kwargs, expected, _)) in enumerate(zip(results, calls)):
        if got != expected:
            shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
            raise AssertionError(
                f"recorded call {i}: ({shown}) gave {got!r}; the program got {expected!r}"
            )
    return f"{len(results)} answers, each as the program got it"
