//! The seed's `gil` module: a Rust function that sleeps while holding the GIL,
//! and its twin that releases the GIL around the Rust-only part.
//!
//! PyO3 0.16 (the seed) called these `Python::with_gil` and `py.allow_threads`;
//! PyO3 0.26+ calls them `Python::attach` and `py.detach`.
//!
//! Besides printing the seed's lines, each phase leaves a timestamped mark
//! (`take_trace`), so the lab can draw when the thread held the GIL, ran
//! without it, or waited for it. The marks use Python's `time.perf_counter`
//! clock, so they line up with the marks the Python thread leaves.

use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::PyList;

const PHASE: Duration = Duration::from_secs(1);

/// A moment of `time.perf_counter()` and the same moment as an `Instant`.
static CLOCK: OnceLock<(f64, Instant)> = OnceLock::new();
static TRACE: Mutex<Vec<(f64, &'static str)>> = Mutex::new(Vec::new());

/// Records a phase; needs no GIL, so it can mark the wait for it.
fn mark(what: &'static str) {
    if let Some((base, at)) = CLOCK.get() {
        let t = base + at.elapsed().as_secs_f64();
        TRACE.lock().unwrap().push((t, what));
    }
}

fn doubled(list: &[i64]) -> Vec<i64> {
    list.iter().map(|x| x * 2).collect()
}

/// The second half, common to both functions: with the GIL, build the Python list.
fn store(result: &Bound<'_, PyList>, idx: usize, values: Vec<i64>) -> PyResult<()> {
    mark("attach");
    Python::attach(|py| {
        mark("attached");
        println!("Rust: Acquire GIL...");
        thread::sleep(PHASE);
        let list = PyList::new(py, values)?;
        println!("Rust: Exit...");
        mark("end");
        result.set_item(idx, list)
    })
}

/// As in the seed: a `#[pyfunction]` runs holding the GIL, and `thread::sleep`
/// does not release it, so every Python thread waits through this first sleep.
#[pyfunction]
fn double_list(list: Vec<i64>, result: Bound<'_, PyList>, idx: usize) -> PyResult<()> {
    mark("start");
    println!("Rust: Enter double_list...");
    mark("sleep");
    thread::sleep(PHASE);
    mark("woke");
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
    mark("start");
    println!("Rust: Enter double_list...");
    let values = py.detach(|| {
        mark("detach");
        thread::sleep(PHASE);
        mark("woke");
        doubled(&list)
    });
    store(&result, idx, values)
}

/// The marks left since the last call, as (perf_counter time, phase), oldest first.
#[pyfunction]
fn take_trace() -> Vec<(f64, &'static str)> {
    std::mem::take(&mut *TRACE.lock().unwrap())
}

/// CPU-bound busy work that never lets go of the GIL: threads calling it run
/// one at a time.
#[pyfunction]
fn spin(n: u64) -> u64 {
    work(n)
}

/// The same work with the GIL released: threads calling it run in parallel.
#[pyfunction]
fn spin_released(py: Python<'_>, n: u64) -> u64 {
    py.detach(|| work(n))
}

/// A linear congruential walk: cheap per step, impossible to fold away.
fn work(n: u64) -> u64 {
    let mut x = std::hint::black_box(1u64);
    for _ in 0..n {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    }
    x
}

#[pymodule]
mod gil {
    use super::*;

    #[pymodule_export]
    use super::{double_list, double_list_released, spin, spin_released, take_trace};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let now: f64 = m.py().import("time")?.call_method0("perf_counter")?.extract()?;
        let _ = CLOCK.set((now, Instant::now()));
        Ok(())
    }
}
