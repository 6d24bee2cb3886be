"""The Python side of the `floordiv` experiment: readings put into buckets of
a given width with `//`, which floors (-7 // 2 == -4)."""


def make_input(n: int, width: int):
    """The race's input: N readings from 0 up, all non-negative (not timed)."""
    return list(range(n)), width


def bucket_sum(readings, width):
    total = 0
    for r in readings:
        total += r // width
    return total


def verify_inputs(rng):
    """One argument list for the differential check: readings of either sign,
    and a width that may be negative too."""
    readings = [rng.randint(-100, 100) for _ in range(rng.randint(0, 8))]
    width = rng.choice([w for w in range(-9, 10) if w != 0])
    return [readings, width]
