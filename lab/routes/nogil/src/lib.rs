//! The nogil lesson's Rust port: the chapter's naive Fibonacci computed with
//! the GIL released (`py.detach`), beside Cython's `with nogil` and Numba's
//! `nogil=True`.

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

/// fib(n) by naive recursion, with the GIL released while it runs: no
/// Python object is touched inside.
#[pyfunction]
fn fib(py: Python<'_>, n: u64) -> PyResult<u64> {
    if n > MAX_N {
        return Err(PyOverflowError::new_err(format!(
            "fib({n}) does not fit in u64 (the largest is fib({MAX_N}))"
        )));
    }
    Ok(py.detach(|| fib_of(n)))
}

#[pymodule]
mod nogil {
    #[pymodule_export]
    use super::fib;
}
