"""The Python side of the `{{name}}` experiment: one kernel over N floats,
as a Python loop (the reference) and with numpy."""

import random

import numpy


def make_list(n):
    """N floats, the same for every run: the loop's form of the input."""
    rng = random.Random(1)
    return [[rng.gauss(0.0, 1.0) for _ in range(n)]]


def make_array(n):
    """The same floats as a float64 array: numpy's form (and the Rust view's)."""
    return [numpy.array(make_list(n)[0], dtype=numpy.float64)]


def roughness(xs):
    """The mean absolute step between neighbours."""
    if len(xs) < 2:
        return 0.0
    total = 0.0
    for a, b in zip(xs, xs[1:]):
        total += abs(b - a)
    return total / (len(xs) - 1)


def roughness_numpy(a):
    if len(a) < 2:
        return 0.0
    return float(numpy.abs(numpy.diff(a)).mean())
