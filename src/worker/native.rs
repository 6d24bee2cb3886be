//! The chapter's naive Fibonacci compiled into pyo3-lab itself: the
//! `rust-native` lane, with no Python anywhere. What the algorithm costs on
//! this CPU, and so what the Python boundary adds to the extension lanes.

use std::hint::black_box;

/// The same recursion as `fibonacci.run` and `pyrun`. `black_box` keeps the
/// compiler from folding a constant argument into a constant answer.
#[inline(never)]
pub fn fib(n: u64) -> u64 {
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
pub fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "unoptimized: run pyo3-lab with --release for the native limit"
    } else {
        "optimized"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_is_fibonacci() {
        assert_eq!(super::fib(35), 9_227_465);
        assert_eq!(super::fib(0), 0);
    }
}
