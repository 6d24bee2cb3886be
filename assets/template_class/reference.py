"""The Python class {{name}} ports, and the scenario both go through.

`workload(make, n)` gets the class (`make`) and the size; each `yield`
names the phase that follows. The set-up before the first phase and the
checks after `yield None` are not timed. Return a figure per phase: a
port that goes wrong is then told in which phase."""

import math
import random


class Histogram:
    def __init__(self, width):
        self.width = width
        self.counts = {}
        self.total = 0

    def add(self, x):
        bucket = math.floor(x / self.width)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1

    def count(self, x):
        return self.counts.get(math.floor(x / self.width), 0)


def workload(make, n):
    rng = random.Random(1)
    values = [rng.uniform(0.0, 1000.0) for _ in range(n)]

    yield "construct"
    for _ in range(n // 10):
        make(1.0)
    histogram = make(1.0)

    yield "add"
    for x in values:
        histogram.add(x)

    yield "count"
    counted = 0
    for x in values:
        counted += histogram.count(x)

    yield "attribute"
    seen = 0
    for _ in range(n):
        seen += histogram.total

    yield None
    return {"add": histogram.total, "count": counted, "attribute": seen}
