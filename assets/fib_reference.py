"""The seed's pure-Python Fibonacci, raced against the Rust `fibonacci.run`.

The lab imports this file as it stands; `python3 fib_reference.py [N]` also runs
the seed's main.py timing on its own, for comparison with the lab's figures.
"""

import sys
import time


def pyrun(n: int):
    if n < 2:
        return n

    return pyrun(n - 1) + pyrun(n - 2)


def noop(x):
    """A call that does nothing: what one call costs, next to fibonacci.noop."""
    return x


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 35
    start = time.perf_counter()
    result = pyrun(n)
    print(f"python: {time.perf_counter() - start:.6f}, result: {result}")


if __name__ == "__main__":
    main()
