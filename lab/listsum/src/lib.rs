//! A data-heavy race: the sum of squares over a Python list.
//!
//! The loop itself is far faster in Rust, but `Vec<i64>` has to be built from
//! the Python list first: one Python int converted per element. That cost is
//! part of every call, and it eats most of Rust's lead.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

#[pyfunction]
fn sum_squares(xs: Vec<i64>) -> PyResult<i64> {
    xs.iter()
        .try_fold(0i64, |acc, &x| acc.checked_add(x.checked_mul(x)?))
        .ok_or_else(|| PyOverflowError::new_err("the sum of squares does not fit in i64"))
}

#[pymodule]
mod listsum {
    #[pymodule_export]
    use super::sum_squares;
}
