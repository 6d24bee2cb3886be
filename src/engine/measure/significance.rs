//! Whether a difference between run times is real, with a test that is valid
//! at the number of runs it is given.
//!
//! A race interleaves its lanes round by round, so a lane and its yardstick
//! are timed side by side in each round: the machine's drift (another
//! program starting, the CPU clocking down) hits both alike. The unit of
//! evidence is therefore the round: its ratio of the two times.
//!
//! - **Paired** (a lane against its yardstick in the same race): the ratio of
//!   each round; an exact sign-flip permutation test of their logarithms (under
//!   no difference, each round's ratio is as likely above 1 as below); the
//!   estimate is the median of the rounds' ratios, its interval a bootstrap of
//!   the rounds. With n rounds the smallest two-sided p is 2 / 2ⁿ, so below
//!   [`pairs_needed`] nothing can be called significant, and none is: the
//!   answer is "not enough runs to tell".
//! - **Two samples** (a lane's per-round speed-ups in two reports, which ran
//!   at other moments): an exact (or, when large, sampled) permutation test
//!   of the two groups' logarithms, under the same rule for too few runs.
//!
//! Used for a lane against the reference (`vs python`), for variants against
//! release, for a report against a baseline and by `compare`. An A/A race (a
//! build against a copy of itself) checks the rate of false alarms: see
//! README's "How the numbers are made".

use serde::{Deserialize, Serialize};

use super::stats::median;

/// Resamples per interval: enough for a stable interval.
const RESAMPLES: usize = 4000;
/// The level a difference must reach to be called significant. 1%, not 5%:
/// the word is acted on, and a report makes many comparisons.
pub const ALPHA: f64 = 0.01;
/// Fixed, so a report says the same of the same numbers every time.
const SEED: u64 = 0x5eed_2026;
/// Above this many arrangements, the permutation test samples instead.
const EXACT_LIMIT: u64 = 1 << 16;
/// Sampled arrangements when the exact test would be too long.
const SAMPLED: usize = 20_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Significance {
    /// What was tested, for the JSON's reader.
    pub test: String,
    /// The ratio itself: of the rounds' ratios (paired), or of the groups'
    /// medians (two samples).
    pub ratio: f64,
    /// Its bootstrap interval at 1 - ALPHA.
    pub low: f64,
    pub high: f64,
    /// Two-sided: the chance of a difference this large if there were none.
    pub p: f64,
    /// p < ALPHA, with enough runs for that to be possible.
    pub significant: bool,
    /// The runs (paired: rounds) the test had, and the fewest with which it
    /// can reach ALPHA at all.
    #[serde(default)]
    pub n: usize,
    #[serde(default)]
    pub needed: usize,
}

impl Significance {
    /// Whether the runs were enough for the test to say anything.
    pub fn enough(&self) -> bool {
        self.n >= self.needed
    }

    /// "p = 0.41", "p < 0.001", or "not enough runs to tell (n = 3; 8 needed)".
    pub fn p_text(&self) -> String {
        if !self.enough() {
            return format!(
                "not enough runs to tell (n = {}; {} needed)",
                self.n, self.needed
            );
        }
        match self.p {
            p if p < 0.001 => "p < 0.001".into(),
            p if p < 0.01 => format!("p = {p:.3}"),
            p => format!("p = {p:.2}"),
        }
    }
}

/// The fewest rounds with which the paired test can reach ALPHA: 2 / 2ⁿ < ALPHA.
pub fn pairs_needed() -> usize {
    (1..64)
        .find(|&n| 2.0 / 2f64.powi(n as i32) < ALPHA)
        .unwrap_or(64)
}

/// The fewest runs a side (equal sides) with which the two-sample test can
/// reach ALPHA: 2 / C(2n, n) < ALPHA.
pub fn per_side_needed() -> usize {
    (1..64)
        .find(|&n| 2.0 / binomial(2 * n, n) < ALPHA)
        .unwrap_or(64)
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
}

/// How many times faster `fast` is than `slow`, round by round: `slow[i]` and
/// `fast[i]` were timed in the same round. None with fewer than two rounds.
pub fn speedup(slow: &[f64], fast: &[f64]) -> Option<Significance> {
    paired(&per_round(slow, fast))
}

/// Round by round, how many times faster `fast` was than `slow`.
pub fn per_round(slow: &[f64], fast: &[f64]) -> Vec<f64> {
    slow.iter()
        .zip(fast)
        .map(|(s, f)| s / f)
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect()
}

/// The paired test of per-round ratios against 1.
pub fn paired(ratios: &[f64]) -> Option<Significance> {
    if ratios.len() < 2 {
        return None;
    }
    let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
    let p = sign_flip_p(&logs);
    let (low, high) = interval(&[ratios], |m| m[0]);
    Some(Significance {
        test: "exact sign-flip test of per-round ratios (paired rounds)".into(),
        ratio: median(&mut ratios.to_vec()),
        low,
        high,
        p,
        significant: ratios.len() >= pairs_needed() && p < ALPHA,
        n: ratios.len(),
        needed: pairs_needed(),
    })
}

/// The ratio median(a) / median(b) of two groups timed at other moments (two
/// reports' per-round speed-ups), with a permutation test of their logarithms.
pub fn two_sample(a: &[f64], b: &[f64]) -> Option<Significance> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let ratio = median(&mut a.to_vec()) / median(&mut b.to_vec());
    if !ratio.is_finite() {
        return None;
    }
    let la: Vec<f64> = a.iter().map(|x| x.ln()).collect();
    let lb: Vec<f64> = b.iter().map(|x| x.ln()).collect();
    let p = permutation_p(&la, &lb);
    let (low, high) = interval(&[a, b], |m| m[0] / m[1]);
    // The smallest p this many runs can give, exactly.
    let floor = 2.0 / binomial(a.len() + b.len(), a.len());
    let n = a.len().min(b.len());
    Some(Significance {
        test: "permutation test of two reports' per-round speed-ups".into(),
        ratio,
        low,
        high,
        p,
        significant: floor < ALPHA && p < ALPHA,
        n,
        needed: if floor < ALPHA { n } else { per_side_needed() },
    })
}

/// The interval at 1 - ALPHA of `stat` of the groups' medians, each group
/// resampled with replacement.
fn interval(groups: &[&[f64]], stat: impl Fn(&[f64]) -> f64) -> (f64, f64) {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut resample = vec![0.0; groups.iter().map(|g| g.len()).max().unwrap_or(0)];
    let mut medians = vec![0.0; groups.len()];
    let mut stats: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            for (m, g) in medians.iter_mut().zip(groups) {
                let r = &mut resample[..g.len()];
                for x in r.iter_mut() {
                    *x = g[rng.usize(..g.len())];
                }
                *m = median(r);
            }
            stat(&medians)
        })
        .filter(|r| r.is_finite())
        .collect();
    if stats.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    stats.sort_by(f64::total_cmp);
    let at = |q: f64| stats[((stats.len() - 1) as f64 * q).round() as usize];
    (at(ALPHA / 2.0), at(1.0 - ALPHA / 2.0))
}

/// Two-sided p of the mean of `d` under random signs: exact over all 2ⁿ sign
/// patterns when that is few enough, else from a fixed-seed sample of them.
fn sign_flip_p(d: &[f64]) -> f64 {
    let observed = d.iter().sum::<f64>().abs();
    // Tolerance for sums that are equal but for rounding.
    let tie = 1e-12 * d.iter().map(|x| x.abs()).sum::<f64>();
    let at_least = |signs: &mut dyn FnMut(usize) -> bool| {
        let s: f64 = d
            .iter()
            .enumerate()
            .map(|(i, x)| if signs(i) { -x } else { *x })
            .sum();
        s.abs() >= observed - tie
    };
    let n = d.len();
    if n < 63 && (1u64 << n) <= EXACT_LIMIT {
        let total = 1u64 << n;
        let hits = (0..total)
            .filter(|mask| at_least(&mut |i| mask >> i & 1 == 1))
            .count();
        return hits as f64 / total as f64;
    }
    let mut rng = fastrand::Rng::with_seed(SEED);
    let hits = (0..SAMPLED)
        .filter(|_| at_least(&mut |_| rng.bool()))
        .count();
    (hits + 1) as f64 / (SAMPLED + 1) as f64
}

/// Two-sided p of the difference of two groups' means under random
/// relabelling: exact over every split when few enough, else sampled.
fn permutation_p(a: &[f64], b: &[f64]) -> f64 {
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let total: f64 = all.iter().sum();
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let diff = |sum_a: f64| (sum_a / na - (total - sum_a) / nb).abs();
    let observed = diff(a.iter().sum());
    let tie = 1e-12 * all.iter().map(|x| x.abs()).sum::<f64>();
    let splits = binomial(all.len(), a.len());
    if splits <= EXACT_LIMIT as f64 {
        let (mut hits, mut count) = (0u64, 0u64);
        combinations(all.len(), a.len(), &mut |chosen| {
            count += 1;
            let sum_a: f64 = chosen.iter().map(|&i| all[i]).sum();
            if diff(sum_a) >= observed - tie {
                hits += 1;
            }
        });
        return hits as f64 / count as f64;
    }
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut order: Vec<usize> = (0..all.len()).collect();
    let hits = (0..SAMPLED)
        .filter(|_| {
            rng.shuffle(&mut order);
            let sum_a: f64 = order[..a.len()].iter().map(|&i| all[i]).sum();
            diff(sum_a) >= observed - tie
        })
        .count();
    (hits + 1) as f64 / (SAMPLED + 1) as f64
}

/// Calls `each` with every k-subset of 0..n, as indices in rising order.
fn combinations(n: usize, k: usize, each: &mut dyn FnMut(&[usize])) {
    fn go(
        start: usize,
        n: usize,
        k: usize,
        chosen: &mut Vec<usize>,
        each: &mut dyn FnMut(&[usize]),
    ) {
        if chosen.len() == k {
            each(chosen);
            return;
        }
        for i in start..n {
            if n - i < k - chosen.len() {
                break;
            }
            chosen.push(i);
            go(i + 1, n, k, chosen, each);
            chosen.pop();
        }
    }
    go(0, n, k, &mut Vec::with_capacity(k), each);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_rounds_cannot_tell_anything_however_far_apart() {
        // A 100x difference in three rounds: the exact test's smallest p is
        // 2 / 2³ = 0.25, so it says so instead of "significant".
        let python = [3.10, 3.05, 3.20];
        let rust = [0.031, 0.030, 0.032];
        let s = speedup(&python, &rust).unwrap();
        assert!((s.ratio - 100.0).abs() < 1.0, "{s:?}");
        assert!(s.low > 90.0 && s.high < 110.0, "{s:?}");
        assert!((s.p - 0.25).abs() < 1e-12, "{s:?}");
        assert!(!s.significant && !s.enough());
        assert_eq!(s.p_text(), "not enough runs to tell (n = 3; 8 needed)");
        assert_eq!(pairs_needed(), 8);
    }

    #[test]
    fn enough_rounds_apart_are_significant_and_overlapping_are_not() {
        let slow: Vec<f64> = (0..10).map(|i| 1.2 + 0.01 * (i % 3) as f64).collect();
        let fast: Vec<f64> = (0..10).map(|i| 1.0 + 0.01 * (i % 4) as f64).collect();
        let s = speedup(&slow, &fast).unwrap();
        assert!(s.significant && s.enough(), "{s:?}");
        assert!((s.p - 2.0 / 1024.0).abs() < 1e-12, "all ten above 1: {s:?}");
        assert_eq!(s.p_text(), "p = 0.002");

        // Round by round the same, up and down: no difference.
        let a = [1.00, 1.10, 0.95, 1.05, 0.98, 1.02, 1.07, 0.93, 1.01, 0.99];
        let b = [1.02, 1.08, 0.97, 1.03, 1.00, 1.00, 1.09, 0.91, 0.99, 1.01];
        let s = speedup(&a, &b).unwrap();
        assert!(!s.significant && s.enough() && s.p > 0.2, "{s:?}");
    }

    #[test]
    fn drift_that_hits_both_lanes_alike_does_not_hide_a_difference() {
        // The machine slows down threefold over the race; the lane is 5%
        // faster in every round. Unpaired, the drift would swamp it.
        let drift: Vec<f64> = (0..12).map(|i| 1.0 + 0.2 * i as f64).collect();
        let reference: Vec<f64> = drift.iter().map(|d| d * 1.05).collect();
        let lane: Vec<f64> = drift.clone();
        let s = speedup(&reference, &lane).unwrap();
        assert!(s.significant && (s.ratio - 1.05).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn two_samples_need_enough_runs_a_side() {
        assert_eq!(per_side_needed(), 5);
        let s = two_sample(&[1.2, 1.21, 1.19], &[1.0, 1.01, 0.99]).unwrap();
        assert!(!s.significant && !s.enough(), "{s:?}");
        let a: Vec<f64> = (0..8).map(|i| 1.2 + 0.001 * i as f64).collect();
        let b: Vec<f64> = (0..8).map(|i| 1.0 + 0.001 * i as f64).collect();
        let s = two_sample(&a, &b).unwrap();
        assert!(s.significant && (s.ratio - 1.2).abs() < 0.01, "{s:?}");
        assert!(s.p < 0.001, "{s:?}");
    }

    #[test]
    fn the_same_numbers_give_the_same_answer_and_too_few_give_none() {
        let a = [1.0, 2.0, 3.0];
        let b = [2.0, 3.0, 4.0];
        assert_eq!(speedup(&a, &b), speedup(&a, &b));
        assert!(speedup(&[], &b).is_none());
        assert!(speedup(&[1.0], &b).is_none(), "one round: no test");
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), 2.5);
    }

    #[test]
    fn under_no_difference_the_test_errs_at_most_at_its_level() {
        // A/A: both lanes drawn from one noisy distribution (13% CV), 500
        // races of 10 rounds. An exact test at 1% may err in at most 1% (plus
        // sampling slack), whatever the noise.
        let mut rng = fastrand::Rng::with_seed(7);
        let mut noisy = || 1.0 + 0.13 * (rng.f64() + rng.f64() + rng.f64() - 1.5) * 2.0;
        let alarms = (0..500)
            .filter(|_| {
                let a: Vec<f64> = (0..10).map(|_| noisy()).collect();
                let b: Vec<f64> = (0..10).map(|_| noisy()).collect();
                speedup(&a, &b).unwrap().significant
            })
            .count();
        assert!(alarms <= 12, "{alarms} of 500 A/A races called significant");
    }
}
