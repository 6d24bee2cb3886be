"""The spell checker in pure Python."""

import re

WORD = re.compile(r"[^\W\d_]+")


def tokenize(text):
    """The words of `text`, lower-cased."""
    return [w.lower() for w in WORD.findall(text)]


def edit_distance(a, b):
    """Levenshtein distance: the fewest insertions, deletions and
    substitutions that make `a` into `b`."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a):
        diagonal, row[0] = row[0], i + 1
        for j, cb in enumerate(b):
            above = row[j + 1]
            row[j + 1] = min(above + 1, row[j] + 1, diagonal + (ca != cb))
            diagonal = above
    return row[len(b)]


def closest(word, dictionary):
    """The dictionary word nearest `word` (the first of the nearest), and
    how far it is."""
    best, distance = None, None
    for candidate in dictionary:
        d = edit_distance(word, candidate)
        if distance is None or d < distance:
            best, distance = candidate, d
    return best, distance
