//! The machine's own parallel capacity, measured beside the contenders: T OS
//! threads of the same CPU-bound spin as `gil.spin`, in Rust, with no Python
//! and no GIL. Whatever it reaches at T threads is what the machine gave at
//! that moment; a contender's scaling is judged against it, not against the
//! core count (another program may be using the cores).
//!
//! Offered to the worker's Python code as the module `pyo3_lab`, so the
//! scaling batches interleave it with the contenders in one process.

use std::time::Instant;

use pyo3::prelude::*;

/// The same linear congruential walk as the `gil` crate's `work`: cheap per
/// step, impossible to fold away.
pub fn spin(n: u64) -> u64 {
    let mut x = std::hint::black_box(1u64);
    for _ in 0..n {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
    x
}

/// Wall seconds of `threads` OS threads each spinning `work` steps, started
/// together.
pub fn batch(threads: u32, work: u64) -> f64 {
    let barrier = std::sync::Barrier::new(threads as usize + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                std::hint::black_box(spin(work));
            });
        }
        let start = Instant::now();
        barrier.wait();
        // The scope joins every thread before it returns.
        start
    })
    .elapsed()
    .as_secs_f64()
}

/// The work for which one thread spins about `seconds`, timed in this
/// thread: a new thread on a busy machine can wait milliseconds to be
/// scheduled, and a small work would pass for a big one. The size found is
/// timed three times more and the best kept, in case one timing included a
/// moment this thread was not running.
pub fn calibrate(seconds: f64) -> u64 {
    let took = |work: u64| {
        let start = Instant::now();
        std::hint::black_box(spin(work));
        start.elapsed().as_secs_f64()
    };
    let mut work = 10_000u64;
    loop {
        // A size is taken only when even its best timing is long enough to
        // scale from; one inflated timing alone does not end the search.
        if took(work) >= seconds / 4.0 {
            let best = took(work).min(took(work)).min(took(work));
            if best >= seconds / 8.0 {
                return ((work as f64 * seconds / best) as u64).max(1);
            }
        }
        work *= 4;
    }
}

#[pyfunction]
#[pyo3(name = "spin_batch")]
fn py_batch(py: Python<'_>, threads: u32, work: u64) -> f64 {
    py.detach(|| batch(threads, work))
}

#[pyfunction]
#[pyo3(name = "calibrate")]
fn py_calibrate(py: Python<'_>, seconds: f64) -> u64 {
    py.detach(|| calibrate(seconds))
}

/// The lab's own naive Fibonacci as a Python callable (a native lane made
/// from threads or cProfile): no Python inside, so it lets go of the GIL.
#[pyfunction]
#[pyo3(name = "fib")]
fn py_fib(py: Python<'_>, n: u64) -> u64 {
    py.detach(|| crate::fibonacci::native(n))
}

/// Runs a scenario's next phase: `next(generator)`. Under callgrind,
/// `--toggle-collect=pyo3_lab_phase` counts the phases' instructions only,
/// not the scenario's untimed set-up and checks.
#[pyfunction]
fn phase<'py>(generator: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    pyo3_lab_phase(&mut || generator.call_method0("__next__"))
}

#[inline(never)]
#[unsafe(no_mangle)]
pub fn pyo3_lab_phase<'py>(
    next: &mut dyn FnMut() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    next()
}

/// Puts `pyo3_lab` (`spin_batch`, `calibrate`, `fib`, `phase`) into `sys.modules`.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let module = PyModule::new(py, "pyo3_lab")?;
    module.add_function(wrap_pyfunction!(phase, &module)?)?;
    module.add_function(wrap_pyfunction!(py_fib, &module)?)?;
    module.add_function(wrap_pyfunction!(py_batch, &module)?)?;
    module.add_function(wrap_pyfunction!(py_calibrate, &module)?)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("pyo3_lab", module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spin_matches_the_gil_crates_walk() {
        // x1 = a*1 + c, by hand: the same constants as lab/gil and gil_scaling.py.
        assert_eq!(
            spin(1),
            6364136223846793005u64.wrapping_add(1442695040888963407)
        );
        assert_eq!(spin(0), 1);
    }

    #[test]
    fn a_batch_of_more_threads_does_more_work() {
        let work = calibrate(0.005);
        assert!(work > 0);
        let one = batch(1, work);
        assert!(one > 0.0);
        // Not a timing claim: only that a batch ran and was timed.
        assert!(batch(2, work) > 0.0);
    }
}
