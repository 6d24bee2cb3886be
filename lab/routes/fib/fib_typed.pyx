# The same function with C types: what Cython needs to be fast. A C `long`
# is 64 bits here, so it is right up to fib(92) and silently wrong past it.
cpdef long fib(long n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
