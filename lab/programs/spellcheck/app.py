"""A program that is slow, as a user brings it: it checks the spelling of a
generated text against a generated dictionary and prints its corrections.

    python app.py [WORDS]

Most of its time goes to one function, `spellcheck.pure.edit_distance`,
which has a Rust port beside it. `pyo3-lab profile -- python app.py` finds
it; `pyo3-lab swap -- python app.py` measures what the port buys."""

import random
import sys
from collections import Counter

from spellcheck import closest, tokenize


def dictionary(size, rng):
    letters = "abcdefghijklmnopqrstuvwxyzéø"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(2, 11))))
    return sorted(words)


def misspell(word, rng):
    i = rng.randrange(len(word))
    return word[:i] + rng.choice("aeiouy") + word[i + 1 :]


def main(n):
    rng = random.Random(2026)
    words = dictionary(300, rng)
    known = set(words)
    text = " ".join(misspell(w, rng) if rng.random() < 0.5 else w for w in rng.choices(words, k=n))
    counts = Counter(tokenize(text))
    corrections = {}
    for word in sorted(counts):
        if word not in known:
            corrections[word] = closest(word, words)
    for word, (fix, distance) in sorted(corrections.items()):
        print(f"{word} -> {fix} ({distance})")
    print(f"{len(counts)} distinct words, {len(corrections)} corrected")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
