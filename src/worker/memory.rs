//! Peak resident memory of the worker during a run, on Linux: writing `5` to
//! `/proc/self/clear_refs` resets the high-water mark `VmHWM` to the current
//! resident size, so after the calls it holds their peak. Elsewhere (or when
//! the kernel refuses) there is no figure, never a wrong one.

use std::fs;

/// `VmHWM` or `VmRSS` from `/proc/self/status`, in bytes.
fn status_kib(key: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak to the current resident size and returns that size: the
/// level the calls start from. None where the peak cannot be reset.
pub fn reset_peak() -> Option<u64> {
    fs::write("/proc/self/clear_refs", "5").ok()?;
    status_kib("VmHWM:")
}

/// How far above `start` the resident size rose since `reset_peak`.
pub fn peak_above(start: Option<u64>) -> Option<u64> {
    Some(status_kib("VmHWM:")?.saturating_sub(start?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linux lets a process reset its own peak: where it is refused the
    /// lab shows no figure, and this test says the machine gives none.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_large_allocation_shows_in_the_peak() {
        let start = reset_peak().expect("writing 5 to /proc/self/clear_refs was refused");
        let block = vec![1u8; 32 << 20];
        std::hint::black_box(&block);
        drop(block);
        let peak = peak_above(Some(start)).unwrap();
        assert!(peak >= 30 << 20, "a 32 MiB block: {peak}");
        let start = reset_peak().unwrap();
        assert!(
            peak_above(Some(start)).unwrap() < 16 << 20,
            "the reset forgets it"
        );
    }
}
