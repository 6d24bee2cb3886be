//! Whether a difference between run times is real: a bootstrap of a ratio
//! of medians. Each group of runs is resampled with replacement, the ratio
//! made again from the resamples' medians, many times over; the middle 95%
//! of those ratios is the interval, and the share of them on the far side of
//! 1 (doubled) is the p-value. It needs no normal distribution and works
//! with the few runs a race makes: three runs a lane whose ranges do not
//! overlap give an interval that leaves 1 out; ranges that overlap do not.
//!
//! Used for a lane against the reference (`vs python`), for a report against
//! a baseline (a ratio of two speed-ups), and by `compare`.

use serde::{Deserialize, Serialize};

use super::stats::median;

/// Resamples per interval: enough for a stable 95% interval.
const RESAMPLES: usize = 4000;
/// The level an interval must leave 1 out at.
pub const ALPHA: f64 = 0.05;
/// Fixed, so a report says the same of the same numbers every time.
const SEED: u64 = 0x5eed_2026;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Significance {
    /// What was tested, for the JSON's reader.
    pub test: String,
    /// The ratio itself, from the medians of all the runs.
    pub ratio: f64,
    /// Its 95% bootstrap interval.
    pub low: f64,
    pub high: f64,
    /// Two-sided: the chance of a ratio this far from 1 if there were no difference.
    pub p: f64,
    /// The interval leaves 1 out.
    pub significant: bool,
}

impl Significance {
    /// "p = 0.41" or "p < 0.001".
    pub fn p_text(&self) -> String {
        match self.p {
            p if p < 0.001 => "p < 0.001".into(),
            p if p < 0.01 => format!("p = {p:.3}"),
            p => format!("p = {p:.2}"),
        }
    }
}

/// `stat` of the groups' medians, with its bootstrap interval and p-value
/// against 1. None when a group has fewer than two runs.
pub fn bootstrap(groups: &[&[f64]], stat: impl Fn(&[f64]) -> f64) -> Option<Significance> {
    // One run says nothing of the noise: no test then.
    if groups.iter().any(|g| g.len() < 2) {
        return None;
    }
    let medians: Vec<f64> = groups.iter().map(|g| median(&mut g.to_vec())).collect();
    let ratio = stat(&medians);
    if !ratio.is_finite() {
        return None;
    }
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut resample = vec![0.0; groups.iter().map(|g| g.len()).max().unwrap_or(0)];
    let mut ratios: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let m: Vec<f64> = groups
                .iter()
                .map(|g| {
                    let r = &mut resample[..g.len()];
                    for x in r.iter_mut() {
                        *x = g[rng.usize(..g.len())];
                    }
                    median(r)
                })
                .collect();
            stat(&m)
        })
        .filter(|r| r.is_finite())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    let (low, high) = (at(ALPHA / 2.0), at(1.0 - ALPHA / 2.0));
    // How many resamples land on the other side of 1 (ties count half).
    let other = ratios
        .iter()
        .map(|&r| match (r - 1.0).signum() * (ratio - 1.0).signum() {
            s if r == 1.0 || ratio == 1.0 || s == 0.0 => 0.5,
            s if s < 0.0 => 1.0,
            _ => 0.0,
        })
        .sum::<f64>();
    let p = (2.0 * other / ratios.len() as f64).min(1.0);
    Some(Significance {
        test: "bootstrap interval of a ratio of medians".into(),
        ratio,
        low,
        high,
        p,
        significant: !(low..=high).contains(&1.0),
    })
}

/// How many times faster `fast` is than `slow`: median(slow) / median(fast).
pub fn speedup(slow: &[f64], fast: &[f64]) -> Option<Significance> {
    bootstrap(&[slow, fast], |m| m[0] / m[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_runs_apart_are_significant_three_overlapping_are_not() {
        let python = [3.10, 3.05, 3.20];
        let rust = [0.031, 0.030, 0.032];
        let s = speedup(&python, &rust).unwrap();
        assert!((s.ratio - 3.10 / 0.031).abs() < 1e-9);
        assert!(s.significant && s.low > 90.0 && s.high < 110.0, "{s:?}");
        assert!(s.p < ALPHA, "{s:?}");

        let a = [1.00, 1.10, 0.95];
        let b = [1.02, 0.97, 1.08];
        let s = speedup(&a, &b).unwrap();
        assert!(!s.significant && s.low < 1.0 && s.high > 1.0, "{s:?}");
        assert!(s.p > 0.2, "{s:?}");
    }

    #[test]
    fn a_twenty_percent_slowdown_in_noise_of_two_percent_is_found() {
        let before: Vec<f64> = (0..10)
            .map(|i| 1.0 + 0.02 * ((i % 5) as f64 - 2.0) / 2.0)
            .collect();
        let after: Vec<f64> = before.iter().map(|x| x * 1.2).collect();
        let s = speedup(&after, &before).unwrap();
        assert!(s.significant && (s.ratio - 1.2).abs() < 1e-9, "{s:?}");
        assert_eq!(s.p_text(), "p < 0.001");
    }

    #[test]
    fn the_same_numbers_give_the_same_answer_and_empty_gives_none() {
        let a = [1.0, 2.0, 3.0];
        let b = [2.0, 3.0, 4.0];
        assert_eq!(speedup(&a, &b), speedup(&a, &b));
        assert!(speedup(&[], &b).is_none());
        assert!(speedup(&[1.0], &b).is_none(), "one run: no test");
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), 2.5);
    }
}
