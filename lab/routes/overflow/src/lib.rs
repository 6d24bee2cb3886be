//! The overflow lesson's Rust port: the sum of squares below N in u128,
//! returned as a Python int: right far past where a C `long` wraps.

use pyo3::prelude::*;

/// Σ i² for i < n. In u128 it is exact for any n a u64 can hold below
/// ~10¹²: the port keeps Python's answer where C's 64 bits cannot.
#[pyfunction]
fn sumsq(n: u64) -> u128 {
    (0..n as u128).map(|i| i * i).sum()
}

#[pymodule]
mod overflow {
    #[pymodule_export]
    use super::sumsq;
}
