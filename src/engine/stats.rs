//! Summary statistics of a lane's run times.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for a single run.
    pub stddev: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn of(times: &[f64]) -> Option<Self> {
        if times.is_empty() {
            return None;
        }
        let n = times.len() as f64;
        let mean = times.iter().sum::<f64>() / n;
        let stddev = if times.len() > 1 {
            (times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 0 {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        };
        Some(Self {
            mean,
            stddev,
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        })
    }
}

/// How many times faster `fast` is than `slow`, with the uncertainty propagated
/// from both standard deviations (as hyperfine reports it).
pub fn ratio(slow: &Summary, fast: &Summary) -> (f64, f64) {
    let r = slow.mean / fast.mean;
    let rel = ((slow.stddev / slow.mean).powi(2) + (fast.stddev / fast.mean).powi(2)).sqrt();
    (r, r * rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_values() {
        let s = Summary::of(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert_eq!(s.median, 2.5);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        assert!((s.stddev - 1.2909944).abs() < 1e-6);
        assert_eq!(Summary::of(&[2.0]).unwrap().stddev, 0.0);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn ratio_propagates_relative_errors() {
        let slow = Summary::of(&[10.0, 10.0]).unwrap();
        let fast = Summary::of(&[1.0, 1.0]).unwrap();
        assert_eq!(ratio(&slow, &fast), (10.0, 0.0));
        let noisy = Summary {
            stddev: 0.1,
            ..fast
        };
        let (r, err) = ratio(&slow, &noisy);
        assert_eq!(r, 10.0);
        assert!((err - 1.0).abs() < 1e-9);
    }
}
