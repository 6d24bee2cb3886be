"""The Python side of the `listsum` experiment: the sum of squares over a list."""


def make_input(n: int):
    """Builds the call's arguments from the size knob; not timed."""
    return (list(range(n)),)


def sum_squares(xs):
    total = 0
    for x in xs:
        total += x * x
    return total
