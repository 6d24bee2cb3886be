//! A port that is right on the inputs it was tried on and wrong on others.
//!
//! Python's `//` floors (-7 // 2 == -4); Rust's `/` truncates toward zero
//! (-7 / 2 == -3). Both agree on every non-negative reading, which is all the
//! race's default input holds, so only a differential check finds the bug.

use pyo3::prelude::*;

/// The straight port: `r / width`, as a Python programmer would first write it.
#[pyfunction]
fn bucket_sum(readings: Vec<i64>, width: i64) -> i64 {
    readings.iter().map(|r| r / width).sum()
}

/// The fixed port: floor division, as Python does it, for any sign: one less
/// than the truncated quotient when there is a remainder and the signs differ.
#[pyfunction]
fn bucket_sum_floor(readings: Vec<i64>, width: i64) -> i64 {
    readings.iter().map(|&r| floor_div(r, width)).sum()
}

fn floor_div(r: i64, width: i64) -> i64 {
    let q = r / width;
    if r % width != 0 && (r < 0) != (width < 0) {
        q - 1
    } else {
        q
    }
}

#[pymodule]
mod floordiv {
    #[pymodule_export]
    use super::{bucket_sum, bucket_sum_floor};
}
