//! A recurrence, the exponential moving average: each output needs the one
//! before it, so numpy has no whole-array operation for it and its users
//! write a Python loop. Two forms:
//!
//! - `ema_vec` takes a `Vec<f64>` and returns one: a Python list converted
//!   in, a new list of float objects out;
//! - `ema_view` reads the numpy array in place and returns a new numpy array
//!   that owns the `Vec` it was computed in (no copy either way).
//!
//! Both compute `s = alpha * x + (1 - alpha) * s` in the Python loop's order:
//! the results agree bit for bit.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

fn ema(xs: &[f64], alpha: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(xs.len());
    let Some(&first) = xs.first() else {
        return out;
    };
    let mut s = first;
    for &x in xs {
        s = alpha * x + (1.0 - alpha) * s;
        out.push(s);
    }
    out
}

#[pyfunction]
fn ema_vec(xs: Vec<f64>, alpha: f64) -> Vec<f64> {
    ema(&xs, alpha)
}

#[pyfunction]
fn ema_view<'py>(
    py: Python<'py>,
    xs: PyReadonlyArray1<'py, f64>,
    alpha: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    Ok(ema(xs.as_slice()?, alpha).into_pyarray(py))
}

#[pymodule]
mod ema {
    #[pymodule_export]
    use super::{ema_vec, ema_view};
}
