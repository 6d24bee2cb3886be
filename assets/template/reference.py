"""The Python side of the `{{name}}` experiment: the function to race."""


def count_primes(n: int) -> int:
    """Counts the primes below n by trial division."""
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    return count
