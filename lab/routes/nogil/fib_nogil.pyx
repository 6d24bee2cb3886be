# The same function with C types, its work done with the GIL released:
# `nogil` on the C function, `with nogil` around the call, so two threads
# calling `fib` run at once.
cdef long _fib(long n) noexcept nogil:
    if n < 2:
        return n
    return _fib(n - 1) + _fib(n - 2)


def fib(long n):
    cdef long result
    with nogil:
        result = _fib(n)
    return result
