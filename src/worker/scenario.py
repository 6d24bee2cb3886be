"""A scenario driven phase by phase: the worker's side of a class race.

A scenario is `workload(factory, *args)`. When it is a generator it yields
the name of each phase before running it; the time from one yield to the
next (or to its return) is that phase's, and its return value is the
result. Code before the first yield is set-up, untimed; so is code after
a `yield None` (the checks before the return, say). A phase may be named
more than once: its times add up."""

import time
import types

import pyo3_lab


def run(scenario, factory, args):
    """(result, [(phase, seconds)]), or (result, None) for a scenario that
    is a plain function (the caller times it as one phase)."""
    out = scenario(factory, *args)
    if not isinstance(out, types.GeneratorType):
        return out, None
    clock = time.perf_counter
    # A phase runs through pyo3_lab.phase, which instruction counts watch;
    # set-up and checks (no phase) run plainly.
    step = pyo3_lab.phase
    phases = {}
    name = None
    started = 0.0
    while True:
        try:
            got = next(out) if name is None else step(out)
        except StopIteration as stop:
            if name is not None:
                phases[name] = phases.get(name, 0.0) + clock() - started
            return stop.value, list(phases.items())
        now = clock()
        if name is not None:
            phases[name] = phases.get(name, 0.0) + now - started
        if got is not None and not isinstance(got, str):
            out.close()
            raise TypeError(
                f"a scenario yields the name of its next phase (a str, or None "
                f"for untimed code), not {got!r}"
            )
        name = got
        started = clock()


def caller(scenario, factory):
    """The scenario as one callable (threads, cProfile): each call makes
    its own object through the factory."""

    def call(*args):
        return run(scenario, factory, args)[0]

    return call
