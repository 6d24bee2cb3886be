# The same loop with C types: fast, and silently wrong once the sum passes
# 2**63 (N above ~3.03 million), where a C long wraps around.
cpdef long sumsq(long n):
    cdef long total = 0
    cdef long i
    for i in range(n):
        total += i * i
    return total
