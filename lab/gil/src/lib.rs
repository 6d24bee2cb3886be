//! The seed's `gil` module: a Rust function that sleeps while holding the GIL,
//! and its twin that releases the GIL around the Rust-only part.
//!
//! PyO3 0.16 (the seed) called these `Python::with_gil` and `py.allow_threads`;
//! PyO3 0.26+ calls them `Python::attach` and `py.detach`.

use std::thread;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyList;

const PHASE: Duration = Duration::from_secs(1);

fn doubled(list: &[i64]) -> Vec<i64> {
    list.iter().map(|x| x * 2).collect()
}

/// The second half, common to both functions: with the GIL, build the Python list.
fn store(result: &Bound<'_, PyList>, idx: usize, values: Vec<i64>) -> PyResult<()> {
    Python::attach(|py| {
        println!("Rust: Acquire GIL...");
        thread::sleep(PHASE);
        let list = PyList::new(py, values)?;
        println!("Rust: Exit...");
        result.set_item(idx, list)
    })
}

/// As in the seed: a `#[pyfunction]` runs holding the GIL, and `thread::sleep`
/// does not release it, so every Python thread waits through this first sleep.
#[pyfunction]
fn double_list(list: Vec<i64>, result: Bound<'_, PyList>, idx: usize) -> PyResult<()> {
    println!("Rust: Enter double_list...");
    thread::sleep(PHASE);
    let values = doubled(&list);
    store(&result, idx, values)
}

/// The fix: `py.detach` releases the GIL while the Rust-only work runs, so the
/// Python thread runs meanwhile.
#[pyfunction]
fn double_list_released(
    py: Python<'_>,
    list: Vec<i64>,
    result: Bound<'_, PyList>,
    idx: usize,
) -> PyResult<()> {
    println!("Rust: Enter double_list...");
    let values = py.detach(|| {
        thread::sleep(PHASE);
        doubled(&list)
    });
    store(&result, idx, values)
}

#[pymodule]
mod gil {
    #[pymodule_export]
    use super::{double_list, double_list_released};
}
