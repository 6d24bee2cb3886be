"""The sum of squares below N, as a Python programmer writes it. Python's
int never overflows; a route that types it as 64 bits does, past N ~ 3.03
million, where the sum passes 2**63."""


def sumsq(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total
