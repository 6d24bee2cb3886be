//! The seed's `fibonacci` module: a naive recursive Fibonacci, called from Python.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

/// fib(93) is the last Fibonacci number that fits in u64.
const MAX_N: u64 = 93;

/// The same naive recursion as the Python reference `pyrun`, on purpose: the race
/// compares languages, not algorithms. Every intermediate value is a smaller
/// Fibonacci number, so for n <= MAX_N nothing can overflow.
fn _run(n: u64) -> u64 {
    match n {
        0 => 0,
        1 => 1,
        _ => _run(n - 1) + _run(n - 2),
    }
}

/// fib(n) by naive recursion. Raises OverflowError past fib(93) rather than
/// return a wrapped, wrong number.
#[pyfunction]
fn run(n: u64) -> PyResult<u64> {
    if n > MAX_N {
        return Err(PyOverflowError::new_err(format!(
            "fib({n}) does not fit in u64 (the largest is fib({MAX_N}))"
        )));
    }
    Ok(_run(n))
}

/// Does nothing: timed in a loop, it shows what one call from Python costs.
#[pyfunction]
fn noop(x: u64) -> u64 {
    x
}

#[pymodule]
mod fibonacci {
    #[pymodule_export]
    use super::{noop, run};
}
