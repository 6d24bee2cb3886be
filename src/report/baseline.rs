//! Comparing a run with a saved report. Only ratios measured within one run
//! are compared (each lane's speed-up over its own run's `python` lane): a
//! baseline from another machine or another day still means something.

use serde::{Deserialize, Serialize};

use super::compare::runs;
use super::{LaneResult, Report};
use crate::engine::measure::significance::{self, Significance};

/// Half-width of the confidence interval, in standard deviations (about 95%).
const Z: f64 = 2.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub experiment: String,
    pub lane: String,
    /// What was compared: "instructions" when both reports counted them
    /// (no noise to allow for), else "wall time".
    #[serde(default = "wall_time")]
    pub measure: String,
    pub before: f64,
    pub now: f64,
    /// How much slower relative to python the lane is now (0.1 = 10% slower).
    pub slowdown: f64,
    /// The least slowdown the two runs' noise allows.
    pub slowdown_low: f64,
    /// The test behind `slowdown_low` on wall time: before's speed-up over
    /// now's, a ratio of medians with its bootstrap interval (1 + slowdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significance: Option<Significance>,
}

impl Comparison {
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({}): {:.1}x now, {:.1}x in the baseline: {:+.0}% (at least {:+.0}%)",
            self.experiment,
            self.lane,
            self.measure,
            self.now,
            self.before,
            100.0 * self.slowdown,
            100.0 * self.slowdown_low
        )
    }
}

fn wall_time() -> String {
    "wall time".into()
}

fn speedup(r: &LaneResult) -> Option<(f64, f64)> {
    Some((r.speedup?, r.speedup_error.unwrap_or(0.0)))
}

/// The ratio over the reference to compare, its uncertainty, and its name:
/// instruction counts when both runs have them (they do not wobble), else
/// wall time with its noise.
/// A ratio over the reference and its uncertainty.
type Ratio = (f64, f64);

fn ratios(now: &LaneResult, before: &LaneResult) -> Option<(Ratio, Ratio, String)> {
    match (now.instruction_speedup, before.instruction_speedup) {
        (Some(n), Some(b)) => Some(((n, 0.0), (b, 0.0), "instructions".into())),
        _ => Some((speedup(now)?, speedup(before)?, wall_time())),
    }
}

/// Lane by lane, the speed-ups of `now` against those of `before`.
pub fn compare(before: &Report, now: &Report) -> Vec<Comparison> {
    now.results
        .iter()
        .filter(|r| !r.record.lane.reference && r.record.lane.name != "python")
        .filter_map(|r| {
            let old = before.results.iter().find(|b| {
                b.record.experiment == r.record.experiment
                    && b.record.lane.name == r.record.lane.name
            })?;
            let ((s1, e1), (s0, e0), measure) = ratios(r, old)?;
            // On wall time, each report's per-round speed-ups (paired within
            // its own race), the two reports tested against each other:
            // (before's speed-up) / (now's), whose interval's low end is the
            // least slowdown. Without the runs, ±2σ of the means.
            let tested = (measure == wall_time())
                .then(|| {
                    let (p0, l0) = runs(before, old)?;
                    let (p1, l1) = runs(now, r)?;
                    significance::two_sample(
                        &significance::per_round(p0, l0),
                        &significance::per_round(p1, l1),
                    )
                })
                .flatten();
            let slowdown_low = match &tested {
                Some(t) => t.low - 1.0,
                None => (s0 - Z * e0).max(0.0) / (s1 + Z * e1) - 1.0,
            };
            Some(Comparison {
                experiment: r.record.experiment.clone(),
                lane: r.record.lane.name.clone(),
                measure,
                before: s0,
                now: s1,
                slowdown: s0 / s1 - 1.0,
                slowdown_low,
                significance: tested,
            })
        })
        .collect()
}

/// The lanes whose slowdown, even at its most favourable, is past `percent`.
pub fn regressions(comparisons: &[Comparison], percent: f64) -> Vec<&Comparison> {
    comparisons
        .iter()
        .filter(|c| c.slowdown_low > percent / 100.0)
        // Tested on the runs: only a difference the test can stand behind.
        .filter(|c| c.significance.as_ref().is_none_or(|t| t.significant))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(before: (f64, f64), now: (f64, f64)) -> Comparison {
        let (s0, e0) = before;
        let (s1, e1) = now;
        Comparison {
            experiment: "fibonacci".into(),
            lane: "rust-release".into(),
            measure: wall_time(),
            before: s0,
            now: s1,
            slowdown: s0 / s1 - 1.0,
            slowdown_low: (s0 - Z * e0).max(0.0) / (s1 + Z * e1) - 1.0,
            significance: None,
        }
    }

    #[test]
    fn a_real_slowdown_fails_and_noise_passes() {
        let slow = cmp((50.0, 1.0), (25.0, 1.0));
        assert_eq!(regressions(std::slice::from_ref(&slow), 20.0), vec![&slow]);
        let noisy = cmp((50.0, 5.0), (45.0, 5.0));
        assert!(noisy.slowdown > 0.1, "10% slower on the means");
        assert!(
            regressions(&[noisy], 5.0).is_empty(),
            "but within the noise"
        );
        let faster = cmp((50.0, 1.0), (60.0, 1.0));
        assert!(faster.slowdown < 0.0 && regressions(&[faster], 0.0).is_empty());
    }
}
