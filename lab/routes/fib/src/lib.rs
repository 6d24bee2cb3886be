//! The routes lesson's Rust port: the chapter's naive Fibonacci, beside the
//! same function compiled by Cython and mypyc and jitted by Numba.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

/// fib(93) is the last Fibonacci number that fits in u64.
const MAX_N: u64 = 93;

fn fib_of(n: u64) -> u64 {
    match n {
        0 => 0,
        1 => 1,
        _ => fib_of(n - 1) + fib_of(n - 2),
    }
}

/// fib(n) by naive recursion, as `fib.py` has it. Raises OverflowError past
/// fib(93) rather than return a wrapped, wrong number.
#[pyfunction]
fn fib(n: u64) -> PyResult<u64> {
    if n > MAX_N {
        return Err(PyOverflowError::new_err(format!(
            "fib({n}) does not fit in u64 (the largest is fib({MAX_N}))"
        )));
    }
    Ok(fib_of(n))
}

#[pymodule]
mod routes {
    #[pymodule_export]
    use super::fib;
}
