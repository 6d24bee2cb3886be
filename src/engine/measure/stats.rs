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
        let median = median(&mut sorted);
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

/// A lane whose σ is more than this share of its mean is called noisy.
pub const NOISY: f64 = 0.10;
/// Modified z-score past which a run is an outlier (Iglewicz and Hoaglin).
const OUTLIER_Z: f64 = 3.5;
/// A first run this many times slower than the median of the rest is flagged.
const SLOW_FIRST: f64 = 1.5;

/// The median, sorting `values` in place.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// How many times faster `fast` is than `slow`, by their medians; None
/// when either has no run.
pub fn median_ratio(slow: &[f64], fast: &[f64]) -> Option<f64> {
    Some(Summary::of(slow)?.median / Summary::of(fast)?.median)
}

/// Runs whose modified z-score (by the median absolute deviation) is past
/// 3.5: robust where σ itself is blown up by the outlier it should find.
pub fn outliers(times: &[f64]) -> usize {
    // Fewer runs give no robust centre to measure against.
    if times.len() < 5 {
        return 0;
    }
    let med = median(&mut times.to_vec());
    let mad = median(&mut times.iter().map(|t| (t - med).abs()).collect::<Vec<_>>());
    if mad == 0.0 {
        return 0;
    }
    times
        .iter()
        .filter(|t| 0.6745 * (*t - med).abs() / mad > OUTLIER_Z)
        .count()
}

/// What a careful reader should know about these times, each with its remedy.
pub fn warnings(times: &[f64]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(s) = Summary::of(times) else {
        return out;
    };
    if times.len() > 1 && s.stddev > NOISY * s.mean {
        out.push(format!(
            "noisy: σ is {:.0}% of the mean; close other programs, or raise --runs",
            100.0 * s.stddev / s.mean
        ));
    }
    let n = outliers(times);
    if n > 0 {
        out.push(format!(
            "{n} outlier run(s) (median absolute deviation); another program probably \
             interfered: run again on a quieter machine, or raise --runs"
        ));
    }
    if times.len() >= 3 {
        let rest = median(&mut times[1..].to_vec());
        if times[0] > SLOW_FIRST * rest {
            out.push(format!(
                "the first run was {:.1}x slower than the rest (caches still cold): raise --warmup",
                times[0] / rest
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_times_warn_of_nothing() {
        assert!(warnings(&[1.0, 1.01, 0.99, 1.0, 1.02]).is_empty());
        assert!(warnings(&[1.0]).is_empty());
    }

    #[test]
    fn noise_outliers_and_a_cold_start_are_named_with_a_remedy() {
        let noisy = warnings(&[1.0, 1.5, 0.7, 1.3]);
        assert!(
            noisy
                .iter()
                .any(|w| w.starts_with("noisy") && w.contains("--runs")),
            "{noisy:?}"
        );
        let spiky = [1.0, 1.01, 0.99, 1.0, 3.0, 1.02, 0.98];
        assert_eq!(outliers(&spiky), 1);
        assert!(
            warnings(&spiky).iter().any(|w| w.contains("1 outlier")),
            "{:?}",
            warnings(&spiky)
        );
        let cold = warnings(&[2.0, 1.0, 1.01, 0.99]);
        assert!(
            cold.iter()
                .any(|w| w.contains("first run was 2.0x") && w.contains("--warmup")),
            "{cold:?}"
        );
    }

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
