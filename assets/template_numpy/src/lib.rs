//! The Rust side of the `{{name}}` experiment: `reference.roughness`, taking
//! its input two ways.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

fn roughness(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let total: f64 = xs.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
    total / (xs.len() - 1) as f64
}

/// From a Python list: every element is converted into a new `Vec<f64>` first.
#[pyfunction]
fn roughness_vec(xs: Vec<f64>) -> f64 {
    roughness(&xs)
}

/// From a numpy array, read where it lies: nothing is copied.
#[pyfunction]
fn roughness_view(xs: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
    Ok(roughness(xs.as_slice()?))
}

#[pymodule]
mod {{name}} {
    #[pymodule_export]
    use super::{roughness_vec, roughness_view};
}
