//! A vectorisable kernel, the sum of squares over float64, in three forms:
//!
//! - `sum_squares_vec` takes a `Vec<f64>`: every call first converts a
//!   Python list, one float object per element (the `listsum` lesson again);
//! - `sum_squares_view` takes a `PyReadonlyArray1<f64>`: a view of the numpy
//!   array's own memory, nothing copied, nothing converted;
//! - `sum_squares_parallel` takes the same view and splits it over rayon's
//!   threads with the GIL released (`py.detach`): the view is plain memory,
//!   so no thread needs Python while it sums.
//!
//! All three run one loop, written so that the compiler can vectorise it.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use rayon::prelude::*;

/// Eight independent partial sums: one running total is a chain of adds, each
/// waiting for the last, and float addition may not be reordered for SIMD.
/// Eight totals are eight chains the compiler can put in vector lanes. The
/// order of additions differs from a Python loop's, so the last bits may too:
/// lab.toml's `[check] rel_tol` says how much that may be.
fn sum_squares(xs: &[f64]) -> f64 {
    let mut totals = [0.0f64; 8];
    let chunks = xs.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|x| x * x).sum();
    for chunk in chunks {
        for (total, x) in totals.iter_mut().zip(chunk) {
            *total += x * x;
        }
    }
    totals.iter().sum::<f64>() + rest
}

#[pyfunction]
fn sum_squares_vec(xs: Vec<f64>) -> f64 {
    sum_squares(&xs)
}

#[pyfunction]
fn sum_squares_view(xs: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    Ok(sum_squares(xs.as_slice()?))
}

#[pyfunction]
fn sum_squares_parallel(py: Python<'_>, xs: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    let xs = xs.as_slice()?;
    // Blocks large enough that a thread's share outweighs handing it out.
    Ok(py.detach(|| xs.par_chunks(1 << 16).map(sum_squares).sum()))
}

#[pymodule]
mod sumsq {
    #[pymodule_export]
    use super::{sum_squares_parallel, sum_squares_vec, sum_squares_view};
}
