"""An LRU cache raced as a class: the scenario every lane runs, and a
pure-Python cache beside cachetools.LRUCache (the reference).

`workload(make, n)` is the scenario: `make(maxsize)` is the lane's class.
Each `yield` names the phase that follows; the set-up before the first
and the checks after `yield None` are not timed. It returns one figure per phase, so a lane that goes wrong is
told in which phase: `item ['lookup'] differs: ...`."""

import collections
import random


class OrderedLru:
    """The textbook pure-Python LRU cache: an OrderedDict in recency order,
    with cachetools' rules (a full cache drops the least recently used key
    before it takes a new one; a read counts as a use)."""

    def __init__(self, maxsize):
        self.maxsize = maxsize
        self._data = collections.OrderedDict()

    def __setitem__(self, key, value):
        data = self._data
        if key in data:
            data.move_to_end(key)
        elif len(data) >= self.maxsize:
            data.popitem(last=False)
        data[key] = value

    def __getitem__(self, key):
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def get(self, key, default=None):
        if key in self._data:
            return self[key]
        return default

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)

    @property
    def currsize(self):
        return len(self._data)


def workload(make, n):
    """n inserts and n lookups of keys below n, into a cache of n // 2 keys
    (so about half the lookups hit, and old keys get evicted); n // 10
    caches made; n reads of an attribute. A lane with `insert_many` or
    `get_many` does its phase in one call."""
    rng = random.Random(2026)
    maxsize = max(n // 2, 1)
    pairs = [(k, k * 3) for k in (rng.randrange(n) for _ in range(n))]
    wanted = [rng.randrange(n) for _ in range(n)]

    yield "construct"
    for _ in range(n // 10):
        make(maxsize)
    cache = make(maxsize)

    yield "insert"
    insert_many = getattr(cache, "insert_many", None)
    if insert_many is not None:
        insert_many(pairs)
    else:
        for key, value in pairs:
            cache[key] = value

    yield "lookup"
    get_many = getattr(cache, "get_many", None)
    found = get_many(wanted) if get_many is not None else [cache.get(k) for k in wanted]
    hits = [v for v in found if v is not None]

    yield "attribute"
    total = 0
    for _ in range(n):
        total += cache.maxsize

    yield None
    return {
        "construct": maxsize,
        "insert": sum(k for k, _ in pairs if k in cache),
        "lookup": [len(hits), sum(hits)],
        "attribute": total,
    }
