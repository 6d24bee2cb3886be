//! The seed's `fibonacci` module: a naive recursive Fibonacci, called from Python.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

/// The same naive recursion as the Python reference `pyrun`, on purpose: the race
/// compares languages, not algorithms.
fn fib(n: u64) -> Option<u64> {
    match n {
        0 => Some(0),
        1 => Some(1),
        _ => fib(n - 1)?.checked_add(fib(n - 2)?),
    }
}

/// fib(n) by naive recursion. Raises OverflowError past fib(93), the last that fits in u64.
#[pyfunction]
fn run(n: u64) -> PyResult<u64> {
    fib(n).ok_or_else(|| PyOverflowError::new_err(format!("fib({n}) does not fit in u64")))
}

#[pymodule]
mod fibonacci {
    #[pymodule_export]
    use super::run;
}
