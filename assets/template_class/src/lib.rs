//! {{name}}: a histogram class ported to Rust as a #[pyclass]. The scenario
//! in reference.py makes it, adds values, asks for counts and reads an
//! attribute, each a phase timed on its own: which method calls does the
//! port win, and which does it lose?

use std::collections::HashMap;

use pyo3::prelude::*;

#[pyclass]
struct Histogram {
    width: f64,
    counts: HashMap<i64, u64>,
    /// `#[pyo3(get)]`: Python reads it as an attribute, through PyO3.
    #[pyo3(get)]
    total: u64,
}

impl Histogram {
    fn bucket(&self, x: f64) -> i64 {
        (x / self.width).floor() as i64
    }
}

#[pymethods]
impl Histogram {
    #[new]
    fn new(width: f64) -> Self {
        Self {
            width,
            counts: HashMap::new(),
            total: 0,
        }
    }

    fn add(&mut self, x: f64) {
        *self.counts.entry(self.bucket(x)).or_default() += 1;
        self.total += 1;
    }

    /// How many values fell in `x`'s bucket.
    fn count(&self, x: f64) -> u64 {
        self.counts.get(&self.bucket(x)).copied().unwrap_or(0)
    }
}

#[pymodule]
mod {{name}} {
    #[pymodule_export]
    use super::Histogram;
}
