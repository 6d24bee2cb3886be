"""The chapter's naive Fibonacci, the reference: CPython runs it holding the
GIL, so two threads calling it take turns."""


def fib(n: int) -> int:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
