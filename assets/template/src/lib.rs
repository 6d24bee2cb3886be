//! The Rust side of the `{{name}}` experiment: port `reference.py` here.

use pyo3::prelude::*;

/// Counts the primes below `n` by trial division, as `reference.count_primes` does.
#[pyfunction]
fn count_primes(n: u64) -> u64 {
    (2..n).filter(|&k| is_prime(k)).count() as u64
}

fn is_prime(k: u64) -> bool {
    let mut d = 2;
    while d * d <= k {
        if k % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

#[pymodule]
mod {{name}} {
    #[pymodule_export]
    use super::count_primes;
}
