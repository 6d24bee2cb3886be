"""The Python side of the `arrays` lesson: one float64 input of N elements,
two kernels, each written as a Python loop (the reference) and with numpy.

The input is made once per run, outside the timing, in the form each
implementation takes: a list for the loops and `Vec<f64>`, a numpy array for
numpy and the zero-copy Rust functions. Both hold the same values."""

import random

import numpy


def make_list(n, *rest):
    """N floats in [-1, 1), the same for every N: the loops' form."""
    rng = random.Random(20261202)
    return [[rng.uniform(-1.0, 1.0) for _ in range(n)], *rest]


def make_array(n, *rest):
    """The same N floats as a float64 numpy array: numpy's form."""
    values, *rest = make_list(n, *rest)
    return [numpy.array(values, dtype=numpy.float64), *rest]


# ---- a vectorisable kernel: numpy is already C -----------------------------


def sum_squares(xs):
    total = 0.0
    for x in xs:
        total += x * x
    return total


def sum_squares_numpy(a):
    # One BLAS call; its additions come in another order than the loop's.
    return float(numpy.dot(a, a))


# ---- a recurrence: each output needs the one before ------------------------


def ema(xs, alpha):
    out = []
    if not xs:
        return out
    s = xs[0]
    for x in xs:
        s = alpha * x + (1.0 - alpha) * s
        out.append(s)
    return out


def ema_numpy(a, alpha):
    # numpy has no whole-array operation for a recurrence: this is the loop a
    # numpy user writes, indexing the array one element at a time.
    out = numpy.empty_like(a)
    if len(a) == 0:
        return out
    s = a[0]
    for i in range(len(a)):
        s = alpha * a[i] + (1.0 - alpha) * s
        out[i] = s
    return out
