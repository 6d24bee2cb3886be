"""The chapter's naive Fibonacci, as a Python programmer writes it: the
reference (CPython), and the file Cython (pure mode), mypyc and Numba take
as it stands. The annotations are what mypyc compiles by."""


def fib(n: int) -> int:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
