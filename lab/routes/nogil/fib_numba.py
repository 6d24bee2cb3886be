"""The same function jitted by Numba with `nogil=True`: its machine code runs
with the GIL released, so two threads calling it run at once. (Already
jitted: the lab takes it as it is.)"""

import numba


@numba.njit(nogil=True)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
