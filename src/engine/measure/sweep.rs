//! Size sweeps: the race run at several sizes of the knob, and what the
//! curves say: each lane's growth (a factor per step of N for exponential
//! work, an exponent from a log-log fit for polynomial work, each with its
//! goodness of fit), each lane's speed-up against size, and where a lane
//! starts or stops beating the reference.

use serde::{Deserialize, Serialize};

use crate::engine::experiment::{Experiment, Knob, SizeError};
use crate::engine::types::{LaneRecord, SweepPoint};

/// Sizes no more than this far apart are stepped by one (fib's knob); wider
/// ranges are stepped geometrically, as the knob's own `+` and `-` do.
const FINE: u64 = 200;

/// Whether a knob moves by one (small range) or by doubling.
/// Before any size is measured, a small knob is guessed to grow as naive
/// Fibonacci does (φ per step: the built-in small knob); after the first
/// points, the measured growth takes over.
pub const GUESSED_GROWTH_PER_STEP: f64 = 1.618;

pub fn is_fine(knob: &Knob) -> bool {
    knob.max.saturating_sub(knob.min) <= FINE
}

/// The sizes of `A..B` in `steps` steps: evenly spaced on a small range,
/// geometrically on a wide one. Both ends are included, repeats dropped.
pub fn range(a: u64, b: u64, steps: usize, fine: bool) -> Vec<u64> {
    let steps = steps.max(2);
    let (a, b) = (a.min(b), a.max(b));
    let mut sizes: Vec<u64> = (0..steps)
        .map(|i| {
            let t = i as f64 / (steps - 1) as f64;
            if fine || a == 0 {
                (a as f64 + t * (b - a) as f64).round() as u64
            } else {
                (a as f64 * (b as f64 / a as f64).powf(t)).round() as u64
            }
        })
        .collect();
    sizes.dedup();
    sizes
}

/// The sizes `--sweep` asks for (`1000,10000` or `A..B`), checked against the
/// experiment's knob; the error names the experiment and its range.
pub fn sizes(exp: &Experiment, spec: &str, steps: usize) -> Result<Vec<u64>, SizeError> {
    let knob = exp.knob.as_ref().ok_or_else(|| SizeError::NoKnobToSweep {
        experiment: exp.name.clone(),
    })?;
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| SizeError::NotANumber(s.to_owned()))
    };
    let sizes = match spec.split_once("..") {
        // A range runs upwards: 5..2 is a slip of the hand, said, not swapped.
        Some((a, b)) if number(a)? > number(b)? => {
            return Err(SizeError::Backwards {
                spec: spec.to_owned(),
                low: b.trim().to_owned(),
                high: a.trim().to_owned(),
            });
        }
        Some((a, b)) => range(number(a)?, number(b)?, steps, is_fine(knob)),
        None => spec.split(',').map(number).collect::<Result<_, _>>()?,
    };
    if sizes.is_empty() {
        return Err(SizeError::NoSize);
    }
    if let Some(&bad) = sizes.iter().find(|&&n| !(knob.min..=knob.max).contains(&n)) {
        return Err(SizeError::SweepOutside {
            size: bad,
            min: knob.min,
            max: knob.max,
            experiment: exp.name.clone(),
        });
    }
    Ok(sizes)
}

/// The sweep a key press runs: below the default, where a run is quick.
pub fn default_sizes(knob: &Knob) -> Vec<u64> {
    if is_fine(knob) {
        let top = knob.default.saturating_sub(5).max(knob.min);
        range(top.saturating_sub(10).max(knob.min), top, 6, true)
    } else {
        let low = (knob.default / 100).max(knob.min).max(1);
        range(low, knob.default, 6, false)
    }
}

/// A least-squares line `y = a + b x` and its R², through three points or more.
fn fit(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    if points.len() < 3 {
        return None;
    }
    let (a, b) = line(points)?;
    let my = points.iter().map(|(_, y)| y).sum::<f64>() / points.len() as f64;
    let syy: f64 = points.iter().map(|(_, y)| (y - my).powi(2)).sum();
    let residual: f64 = points.iter().map(|(x, y)| (y - a - b * x).powi(2)).sum();
    (syy > 0.0).then(|| (a, b, 1.0 - residual / syy))
}

/// The least-squares line `y = a + b x` through `points`, as `(a, b)`.
fn line(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let mx = points.iter().map(|(x, _)| x).sum::<f64>() / n;
    let my = points.iter().map(|(_, y)| y).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    (sxx > 0.0).then(|| {
        let b = sxy / sxx;
        (my - b * mx, b)
    })
}

/// How a lane's time grows with N: the better fitting of an exponential
/// (a factor per step) and a power law (an exponent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Growth {
    Exponential { factor_per_step: f64, r2: f64 },
    Power { exponent: f64, r2: f64 },
}

impl Growth {
    pub fn describe(&self) -> String {
        match self {
            Growth::Exponential {
                factor_per_step,
                r2,
            } => {
                format!("x{factor_per_step:.3} per step of N (exponential fit, R² {r2:.4})")
            }
            Growth::Power { exponent, r2 } => {
                format!("as N^{exponent:.2} (log-log fit, R² {r2:.4})")
            }
        }
    }
}

/// Fits (size, seconds) with the model the sweep's steps suggest: on a small
/// knob stepped by one (fib's N), an exponential, a factor per step; on a
/// wide one stepped geometrically, a power law from a log-log fit. Over a
/// narrow range both can fit well, so the better R² alone would not choose.
pub fn growth(points: &[(u64, f64)], geometric: bool) -> Option<Growth> {
    let usable: Vec<(u64, f64)> = points
        .iter()
        .copied()
        .filter(|&(n, t)| n > 0 && t > 0.0)
        .collect();
    if geometric {
        let (_, k, r2) = fit(&usable
            .iter()
            .map(|&(n, t)| ((n as f64).ln(), t.ln()))
            .collect::<Vec<_>>())?;
        Some(Growth::Power { exponent: k, r2 })
    } else {
        let (_, b, r2) = fit(&usable
            .iter()
            .map(|&(n, t)| (n as f64, t.ln()))
            .collect::<Vec<_>>())?;
        Some(Growth::Exponential {
            factor_per_step: b.exp(),
            r2,
        })
    }
}

/// Where a lane's speed-up over the reference crosses 1, interpolated
/// between the sizes around it (in log size on a geometric sweep).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crossover {
    pub size: f64,
    /// True when the lane starts beating the reference there; false when it
    /// stops.
    pub starts_winning: bool,
}

impl Crossover {
    pub fn describe(&self) -> String {
        format!(
            "{} the reference at N ≈ {:.0}",
            if self.starts_winning {
                "starts beating"
            } else {
                "stops beating"
            },
            self.size
        )
    }
}

pub fn crossovers(speedups: &[(u64, f64)], geometric: bool) -> Vec<Crossover> {
    let x = |n: u64| {
        if geometric {
            (n.max(1) as f64).ln()
        } else {
            n as f64
        }
    };
    speedups
        .windows(2)
        .filter_map(|w| {
            let ((n0, s0), (n1, s1)) = (w[0], w[1]);
            let (d0, d1) = (s0.ln(), s1.ln());
            if d0.signum() == d1.signum() || d0 == 0.0 {
                return None;
            }
            let t = d0 / (d0 - d1);
            let at = x(n0) + t * (x(n1) - x(n0));
            Some(Crossover {
                size: if geometric { at.exp() } else { at },
                starts_winning: d1 > 0.0,
            })
        })
        .collect()
}

/// What a sweep says of one lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneTrend {
    pub experiment: String,
    pub lane: String,
    pub growth: Option<Growth>,
    /// The (size, seconds) points `growth` is fitted to: each size's
    /// fastest run, at the sizes where the lane answered right.
    #[serde(default)]
    pub fitted: Vec<(u64, f64)>,
    /// (size, speed-up over the reference) at every size both have.
    pub speedups: Vec<(u64, f64)>,
    pub crossovers: Vec<Crossover>,
    /// A scenario lane's phases whose speed-up crosses 1 over the sweep
    /// (one phase may win at every size while another starts losing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phase_crossovers: Vec<PhaseCrossover>,
}

/// Where one phase's speed-up over the reference's same phase crosses 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseCrossover {
    pub phase: String,
    #[serde(flatten)]
    pub crossover: Crossover,
}

impl PhaseCrossover {
    pub fn describe(&self) -> String {
        format!("phase {} {}", self.phase, self.crossover.describe())
    }
}

/// A lane's fastest time at each size (by `time_of` its record), and its
/// speed-up over the reference's at each size both have.
type Series = (Vec<(u64, f64)>, Vec<(u64, f64)>);

fn series(
    points: &[SweepPoint],
    lane: &str,
    time_of: impl Fn(&LaneRecord) -> Option<f64>,
) -> Series {
    let mut times = Vec::new();
    let mut speedups = Vec::new();
    for p in points {
        let this = p.records.iter().find(|r| r.lane.name == lane);
        let reference = p.records.iter().find(|r| r.lane.reference);
        if let Some(t) = this.filter(|r| r.problem().is_none()).and_then(&time_of) {
            times.push((p.size, t));
            if let Some(rt) = reference.and_then(&time_of) {
                speedups.push((p.size, rt / t));
            }
        }
    }
    (times, speedups)
}

/// Each lane's growth, speed-ups and crossovers over a sweep's points, from
/// each size's fastest run.
pub fn trends(experiment: &str, points: &[SweepPoint], geometric: bool) -> Vec<LaneTrend> {
    // Each size's fastest run: noise on a shared machine only ever adds time,
    // so the minimum is the steadiest figure to fit a curve to.
    let fastest = |r: &LaneRecord| super::stats::Summary::of(&r.times).map(|s| s.min);
    let mut lanes: Vec<String> = Vec::new();
    for p in points {
        for r in &p.records {
            if !lanes.contains(&r.lane.name) {
                lanes.push(r.lane.name.clone());
            }
        }
    }
    lanes
        .into_iter()
        .map(|lane| {
            let (times, speedups) = series(points, &lane, fastest);
            let is_reference = points
                .iter()
                .flat_map(|p| &p.records)
                .any(|r| r.lane.name == lane && r.lane.reference);
            let mut phases: Vec<String> = Vec::new();
            for r in points
                .iter()
                .flat_map(|p| &p.records)
                .filter(|r| r.lane.name == lane)
            {
                for phase in &r.phases {
                    if !phases.contains(&phase.name) {
                        phases.push(phase.name.clone());
                    }
                }
            }
            let phase_crossovers = phases
                .into_iter()
                .filter(|_| !is_reference)
                .flat_map(|phase| {
                    let fastest_phase = |r: &LaneRecord| {
                        let p = r.phases.iter().find(|p| p.name == phase)?;
                        super::stats::Summary::of(&p.times).map(|s| s.min)
                    };
                    let (_, speedups) = series(points, &lane, fastest_phase);
                    crossovers(&speedups, geometric)
                        .into_iter()
                        .map(|crossover| PhaseCrossover {
                            phase: phase.clone(),
                            crossover,
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            LaneTrend {
                experiment: experiment.to_owned(),
                crossovers: if is_reference {
                    Vec::new()
                } else {
                    crossovers(&speedups, geometric)
                },
                phase_crossovers,
                lane,
                growth: growth(&times, geometric),
                fitted: times,
                speedups: if is_reference { Vec::new() } else { speedups },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_step_by_one_on_small_knobs_and_geometrically_on_wide_ones() {
        assert_eq!(range(20, 30, 6, true), [20, 22, 24, 26, 28, 30]);
        assert_eq!(
            range(1000, 1_000_000, 4, false),
            [1000, 10_000, 100_000, 1_000_000]
        );
        assert_eq!(range(5, 6, 6, true), [5, 6], "repeats dropped");
    }

    #[test]
    fn fibs_growth_is_the_golden_ratio_and_a_linear_loops_exponent_is_one() {
        let fib: Vec<(u64, f64)> = (20..=30)
            .map(|n| (n, 1e-7 * 1.618f64.powi(n as i32)))
            .collect();
        match growth(&fib, false).unwrap() {
            Growth::Exponential {
                factor_per_step,
                r2,
            } => {
                assert!((factor_per_step - 1.618).abs() < 1e-6 && r2 > 0.9999)
            }
            g => panic!("{g:?}"),
        }
        let linear: Vec<(u64, f64)> = [1000u64, 10_000, 100_000, 1_000_000]
            .iter()
            .map(|&n| (n, 3e-8 * n as f64))
            .collect();
        match growth(&linear, true).unwrap() {
            Growth::Power { exponent, r2 } => assert!((exponent - 1.0).abs() < 1e-9 && r2 > 0.9999),
            g => panic!("{g:?}"),
        }
    }

    #[test]
    fn a_crossover_is_interpolated_where_the_speedup_crosses_one() {
        let s = [(1000, 0.5), (10_000, 2.0), (100_000, 4.0)];
        let c = crossovers(&s, true);
        assert_eq!(c.len(), 1);
        assert!(c[0].starts_winning);
        assert!(
            (c[0].size - 3162.3).abs() < 1.0,
            "halfway in log size: {c:?}"
        );
        assert!(crossovers(&[(1, 2.0), (2, 3.0)], false).is_empty());
        let c = crossovers(&[(10, 2.0), (20, 0.5)], false);
        assert!(!c[0].starts_winning && (c[0].size - 15.0).abs() < 1e-9);
    }

    #[test]
    fn a_range_that_runs_downwards_is_refused_not_swapped() {
        let exp = crate::engine::experiment::fixtures::experiment("fib", 30, 93, true);
        let err = sizes(&exp, "25..20", 4).unwrap_err().to_string();
        assert!(err.contains("--sweep 20..25"), "{err}");
        assert_eq!(sizes(&exp, "20..23", 4).unwrap(), [20, 21, 22, 23]);
    }

    #[test]
    fn sweeps_outside_the_knob_are_refused_with_the_range() {
        let exp = crate::engine::experiment::fixtures::experiment("fib", 35, 93, true);
        assert_eq!(sizes(&exp, "20..30", 6).unwrap(), [20, 22, 24, 26, 28, 30]);
        assert_eq!(sizes(&exp, "5,10", 6).unwrap(), [5, 10]);
        let err = sizes(&exp, "90..100", 6).unwrap_err().to_string();
        assert!(err.contains("0..=93") && err.contains("fib"), "{err}");
        let mut no_knob = exp.clone();
        no_knob.knob = None;
        assert!(
            sizes(&no_knob, "1..2", 2)
                .unwrap_err()
                .to_string()
                .contains("no size knob")
        );
        assert_eq!(
            default_sizes(exp.knob.as_ref().unwrap()),
            [20, 22, 24, 26, 28, 30]
        );
    }
}
