//! Everything pyo3-lab knows of Fibonacci, in one place: the exact answer to
//! check lanes against, the split of one call into smaller ones so a bar can
//! move, and the naive recursion compiled into pyo3-lab itself (the
//! `rust-native` lane, no Python anywhere: the algorithm's limit on this CPU).

use std::hint::black_box;

/// The largest N whose Fibonacci number fits the Rust function's u64.
pub const MAX_N: u64 = 93;

/// fib(n), computed the fast way, to check the lanes' answers.
pub fn fib(n: u64) -> u128 {
    let (mut a, mut b) = (0u128, 1u128);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

/// An N whose Fibonacci number does not fit u64.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("N = {0} is past fib({MAX_N}), the largest that fits u64")]
pub struct PastU64(pub u64);

/// The exact answer for N, as the JSON a lane must return; an error past u64.
pub fn answer(n: u64) -> Result<String, PastU64> {
    if n > MAX_N {
        return Err(PastU64(n));
    }
    Ok(fib(n).to_string())
}

/// Calls made by the naive recursion for fib(m): the work a chunk stands for.
pub fn cost(m: u64) -> f64 {
    2.0 * fib(m + 1) as f64 - 1.0
}

/// Chunks no smaller than this are split further; smaller ones are quick enough
/// that a progress report between them would cost more than it shows.
const MIN_SPLIT: u64 = 22;
const MAX_CHUNKS: usize = 48;

/// Splits fib(n) into calls whose results add up to it: the top of the naive
/// recursion tree unrolled (fib(m) = fib(m-1) + fib(m-2)), largest first. The
/// work is the same recursion, and progress can be reported between calls.
pub fn plan(n: u64) -> Vec<u64> {
    let mut chunks = vec![n];
    while chunks.len() < MAX_CHUNKS {
        chunks.sort_unstable_by(|a, b| b.cmp(a));
        let biggest = chunks[0];
        if biggest < MIN_SPLIT {
            break;
        }
        chunks[0] = biggest - 1;
        chunks.push(biggest - 2);
    }
    chunks.sort_unstable_by(|a, b| b.cmp(a));
    chunks
}

/// The same recursion as `fibonacci.run` and `pyrun`, compiled into pyo3-lab.
/// `black_box` keeps the compiler from folding a constant argument into a
/// constant answer.
#[inline(never)]
pub fn native(n: u64) -> u64 {
    fn go(n: u64) -> u64 {
        match n {
            0 => 0,
            1 => 1,
            _ => go(n - 1) + go(n - 2),
        }
    }
    go(black_box(n))
}

/// How pyo3-lab itself was compiled: the rust-native lane runs at that level.
pub fn native_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "unoptimized: run pyo3-lab with --release for the native limit"
    } else {
        "optimized"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_matches_the_chapter() {
        assert_eq!(fib(0), 0);
        assert_eq!(fib(1), 1);
        assert_eq!(fib(35), 9_227_465);
        assert_eq!(fib(93), 12_200_160_415_121_876_738);
        assert!(fib(94) > u64::MAX as u128);
        assert!(answer(94).unwrap_err().to_string().contains("u64"));
    }

    #[test]
    fn the_native_recursion_is_fibonacci() {
        assert_eq!(native(35), 9_227_465);
        assert_eq!(native(0), 0);
    }

    #[test]
    fn the_plan_adds_up_to_fib_n() {
        for n in [0, 1, 2, 10, 21, 22, 23, 30, 35, 40, 93] {
            let chunks = plan(n);
            assert_eq!(
                chunks.iter().map(|&c| fib(c)).sum::<u128>(),
                fib(n),
                "n = {n}"
            );
            assert!(chunks.len() <= MAX_CHUNKS);
            assert!(chunks.windows(2).all(|w| w[0] >= w[1]), "largest first");
        }
    }

    #[test]
    fn the_plan_keeps_the_recursions_work() {
        // Unrolling the top of the tree only drops the unrolled nodes themselves.
        let chunks = plan(35);
        let work: f64 = chunks.iter().map(|&c| cost(c)).sum();
        assert!(chunks.len() > 16, "enough steps for a live bar: {chunks:?}");
        assert!(work <= cost(35) && work > 0.999 * cost(35));
        assert_eq!(plan(10), vec![10], "small N is one call");
    }
}
