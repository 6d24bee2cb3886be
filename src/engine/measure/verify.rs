//! The differential check: every lane called on generated inputs, each answer
//! compared with the reference's. Agreement is equal results (Python `==`) or
//! both sides raising; a raise on one side only, a panic or a crash is a
//! disagreement. A crashed worker is started again and the check goes on.
//!
//! Input `i` of a check seeded `S` is made from seed `S + i` alone, so a
//! disagreement's seed replays it: `--verify 1 --verify-seed SEED`.

use std::time::Duration;

use serde_json::Value;

use crate::engine::error::{LabError, LabResult};
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::Experiment;
use crate::engine::seams::{Caller, LaneSetup, Spawner};
use crate::engine::types::{Coverage, Disagreement, Lane, Language, VerifyRecord};
use crate::worker::WorkerError;
use crate::worker::protocol::{Code, FailKind, Request};

/// Inputs tried per lane unless `--verify K` says otherwise.
pub const DEFAULT_INPUTS: usize = 30;
/// How many disagreements a report shows in full.
const SHOWN: usize = 3;
/// No single checked call may take longer than this.
const CALL_LIMIT: Duration = Duration::from_secs(20);
/// A size is tried only when the reference's call is expected to take no
/// longer than this (from the growth of the calls already made).
pub const BUDGET_SECONDS: f64 = 2.0;
/// Nor may the reference's calls take longer than this together (or ten
/// calls at a larger budget): the largest sizes drawn are left out first.
const TOTAL_SECONDS: f64 = 20.0;

#[derive(Clone, Debug, PartialEq)]
pub struct VerifyConfig {
    pub inputs: usize,
    pub seed: u64,
    /// The reference's time a call at most: a larger size is left out.
    pub budget: f64,
}

impl VerifyConfig {
    /// A check of `inputs` inputs, seeded by `seed` or else by the clock.
    pub fn new(inputs: usize, seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_micros() as u64 % 1_000_000_000)
        });
        Self {
            inputs,
            seed,
            budget: BUDGET_SECONDS,
        }
    }

    /// The same check with another budget for the reference's calls.
    pub fn with_budget(self, budget: f64) -> Self {
        Self { budget, ..self }
    }

    /// The reference's time for all its calls: ten calls at the budget, and
    /// never less than `TOTAL_SECONDS`.
    fn total(&self) -> f64 {
        (10.0 * self.budget).max(TOTAL_SECONDS)
    }
}

/// One generated input: the call's arguments as JSON, whether they go through
/// the experiment's `setup` first, and the seed that makes them.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub seed: u64,
    pub args: String,
    pub through_setup: bool,
    /// The knob's size, where it was drawn.
    pub size: Option<u64>,
}

/// How one call ended, in words a report can show.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
    /// `repr()` and JSON of the result.
    Value { repr: String, json: Option<String> },
    /// Raised (an exception; a panic is a raise too, but never agrees).
    Raised { kind: FailKind, message: String },
    /// The worker died or hung.
    Broken(String),
    /// Over the time limit: for the reference, a size left out, not a
    /// disagreement.
    TooSlow(String),
}

impl Answer {
    fn describe(&self) -> String {
        match self {
            Answer::Value { repr, .. } => repr.clone(),
            Answer::Raised { kind, message } => format!("{} {message}", kind.verb()),
            Answer::Broken(why) | Answer::TooSlow(why) => why.clone(),
        }
    }
}

/// The argument lists: from `[verify] inputs` in the reference's worker; or
/// the size knob drawn over the whole range lab.toml declares, evenly in
/// log size (a wrap that sets in above the default is reached; `run` leaves
/// out the sizes the reference cannot afford); or, without a knob, the
/// arguments themselves varied (`vary`).
pub fn inputs(
    exp: &Experiment,
    cfg: &VerifyConfig,
    reference: &mut dyn Caller,
) -> LabResult<Vec<Input>> {
    let seeds: Vec<u64> = (0..cfg.inputs as u64)
        .map(|i| cfg.seed.wrapping_add(i))
        .collect();
    if let Some(name) = &exp.verify_inputs {
        let request = Request::Inputs {
            inputs: Code::new(&exp.reference().module, name),
            seeds: seeds.clone(),
        };
        let bad = |why: String| {
            LabError::Input(format!(
                "{}: [verify] inputs = {name:?} {why}",
                exp.lab_toml().display()
            ))
        };
        let done = reference
            .call(&request, Some(CALL_LIMIT), &mut |_| {})
            .map_err(|e| bad(e.to_string()))?;
        let lists: Vec<String> = done
            .json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| bad(format!("gave {}", done.result)))?;
        return Ok(seeds
            .into_iter()
            .zip(lists)
            .map(|(seed, args)| Input {
                seed,
                args,
                // The call's arguments, as the reference takes them; or,
                // where implementations take forms of their own, the common
                // arguments every lane's setup makes its own form from.
                through_setup: exp.has_own_setups(),
                size: None,
            })
            .collect());
    }
    Ok(seeds
        .into_iter()
        .map(|seed| {
            let mut args = exp.args.clone();
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut size = None;
            if let Some(knob) = &exp.knob {
                let n = log_uniform(knob.min, knob.max, rng.f64());
                args[knob.index] = Value::from(n);
                size = Some(n);
            } else if exp.setup.is_none() && !exp.has_own_setups() {
                args = super::vary::varied(&args, &mut rng);
            }
            Input {
                seed,
                args: serde_json::to_string(&args).expect("JSON values serialise"),
                through_setup: true,
                size,
            }
        })
        .collect())
}

/// A size between `min` and `max`, evenly in log size for `u` in 0..1: as
/// many draws between 10 and 100 as between 100,000 and 1,000,000.
fn log_uniform(min: u64, max: u64, u: f64) -> u64 {
    let (low, high) = ((min.max(1) as f64).ln(), (max.max(1) as f64).ln());
    let n = (low + (high - low) * u).exp().round() as u64;
    n.clamp(min, max)
}

/// What a reference call of size `n` is expected to take, from the calls
/// made so far, fitted as a sweep fits its curves: on a small knob stepped
/// by one (fib's N) a factor a step, else a power law. The fit is least
/// squares over the calls long enough to time (a call's own overhead and a
/// busy machine's jitter are small beside them), or through the two largest
/// sizes while too few are; its growth is bounded (`GROWTH`), so one call
/// slowed by a neighbour cannot foresee a cost no program has. Without two
/// sizes, a cost in proportion to the one timed.
fn predicted(timed: &[(u64, f64)], n: u64, stepwise: bool) -> Option<f64> {
    let mut sizes: Vec<(u64, f64)> = timed.iter().copied().filter(|(s, _)| *s > 0).collect();
    // The fastest call of a size: the one least disturbed.
    sizes.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    sizes.dedup_by_key(|(s, _)| *s);
    let &(largest, last) = sizes.last()?;
    if n <= largest {
        return Some(last);
    }
    let long: Vec<(u64, f64)> = sizes
        .iter()
        .copied()
        .filter(|(_, t)| *t >= FIT_FLOOR_SECONDS)
        .collect();
    let points = if long.len() >= 2 {
        long
    } else {
        sizes[sizes.len().saturating_sub(2)..].to_vec()
    };
    let x = |s: u64| if stepwise { s as f64 } else { (s as f64).ln() };
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|&(s, t)| (x(s), t.max(1e-9).ln()))
        .collect();
    let (low, high, alone) = if stepwise { GROWTH.step } else { GROWTH.power };
    let Some(slope) = theil_sen(&xy) else {
        return Some(last * (alone * (x(n) - x(largest))).exp());
    };
    // Calls too short to time say little of the growth: no flatter than
    // the growth assumed with one size (a call's overhead once made fib
    // look flat, and fib(47) was called).
    let low = if points.iter().all(|(_, t)| *t < FIT_FLOOR_SECONDS) {
        alone
    } else {
        low
    };
    let slope = slope.clamp(low, high);
    // Through three points or more, anchored where most of them say: one
    // call slowed at the largest size does not move every foresight.
    let at_largest = if xy.len() > 2 {
        let mut offsets: Vec<f64> = xy.iter().map(|(xi, yi)| yi - slope * xi).collect();
        (super::stats::median(&mut offsets) + slope * x(largest)).exp()
    } else {
        last
    };
    Some(at_largest * (slope * (x(n) - x(largest))).exp())
}

/// The median of the slopes between every two points (Theil and Sen): a
/// few calls slowed by a busy machine move it little, where they pull a
/// least-squares line (beside two CPU hogs, a linear sum foresaw 3 s at 7.7
/// million, where it took under half a second).
fn theil_sen(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes: Vec<f64> = Vec::new();
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            if b.0 != a.0 {
                slopes.push((b.1 - a.1) / (b.0 - a.0));
            }
        }
    }
    (!slopes.is_empty()).then(|| super::stats::median(&mut slopes))
}

/// A call shorter than this is timed mostly by its own overhead.
const FIT_FLOOR_SECONDS: f64 = 1e-3;

/// The growth a foresight allows, (least, most, with one size timed): a power
/// law's exponent, from linear (a smaller one is overhead, not the cost) to
/// cubic; a step's factor, from flat to fourfold (fib's is 1.618).
struct Growth {
    power: (f64, f64, f64),
    step: (f64, f64, f64),
}

const GROWTH: Growth = Growth {
    power: (1.0, 3.0, 1.0),
    step: (0.0, std::f64::consts::LN_2 * 2.0, std::f64::consts::LN_2),
};

/// The largest size whose reference call `predicted` keeps within `budget`.
fn ceiling(timed: &[(u64, f64)], (above, up_to): (u64, u64), stepwise: bool, budget: f64) -> u64 {
    let (mut low, mut high) = (above, up_to);
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if predicted(timed, mid, stepwise).is_some_and(|t| t <= budget) {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

/// What `setup`'s lane answers for `input`, and whether it equals `expect`
/// (Python `==`, in the worker) when there is one.
fn ask(
    worker: &mut dyn Caller,
    setup: &LaneSetup,
    input: &Input,
    expect: Option<String>,
) -> (Answer, Option<bool>) {
    let args: Vec<Value> = serde_json::from_str(&input.args).unwrap_or_default();
    let call = setup.call.with_args(args);
    let call = if input.through_setup {
        call
    } else {
        call.without_setup()
    };
    let request = setup.run(call, expect, 1, None);
    match worker.call(&request, Some(CALL_LIMIT), &mut |_| {}) {
        Ok(done) => (
            Answer::Value {
                repr: done.result,
                json: done.json,
            },
            done.correct,
        ),
        Err(WorkerError::Failed { kind, message }) => (Answer::Raised { kind, message }, None),
        Err(e @ WorkerError::TimedOut(_)) => (Answer::TooSlow(e.to_string()), None),
        Err(e) => (Answer::Broken(e.to_string()), None),
    }
}

/// Whether a lane's answer agrees with the reference's.
fn agrees(reference: &Answer, lane: &Answer, correct: Option<bool>) -> bool {
    match (reference, lane) {
        (Answer::Value { repr: a, json }, Answer::Value { repr: b, .. }) => match json {
            Some(_) => correct == Some(true),
            None => a == b,
        },
        (Answer::Raised { kind: k1, .. }, Answer::Raised { kind: k2, .. }) => {
            *k1 != FailKind::Panic && *k2 != FailKind::Panic
        }
        _ => false,
    }
}

/// A call as a person would write it: `f(args)`.
fn call_text(function: &str, input: &Input, through: Option<&str>) -> String {
    let inner = super::race::inside(&input.args);
    match through {
        Some(setup) => format!("{function}(*{setup}({inner}))"),
        None => format!("{function}({inner})"),
    }
}

/// Checks every lane but the reference against it on the same inputs.
pub fn run(
    exp: &Experiment,
    cfg: &VerifyConfig,
    setups: &[LaneSetup],
    sink: &Sink,
    cancel: &crate::cancel::Cancel,
    spawner: &dyn Spawner,
) -> LabResult<Vec<VerifyRecord>> {
    let reference = setups
        .iter()
        .find(|s| s.lane.reference)
        .ok_or_else(|| LabError::Input("no reference lane to check against".into()))?;
    let mut worker = spawner.spawn(&reference.paths)?;
    let mut inputs = inputs(exp, cfg, worker.as_mut())?;
    // The smallest sizes first: their times say what the larger will cost.
    inputs.sort_by_key(|i| i.size);
    let mut answers = Vec::with_capacity(inputs.len());
    let mut timed: Vec<(u64, f64)> = Vec::new();
    let mut kept = Vec::with_capacity(inputs.len());
    let mut skipped: Vec<u64> = Vec::new();
    let stepwise = exp.knob.as_ref().is_some_and(super::sweep::is_fine);
    for input in inputs {
        if cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        if let Some(n) = input.size {
            let spent: f64 = timed.iter().map(|t| t.1).sum();
            let cost = predicted(&timed, n, stepwise).unwrap_or(0.0);
            if cost > cfg.budget || spent + cost > cfg.total() {
                skipped.push(n);
                continue;
            }
        }
        let started = std::time::Instant::now();
        let (answer, _) = ask(worker.as_mut(), reference, &input, None);
        if let Some(n) = input.size {
            timed.push((n, started.elapsed().as_secs_f64()));
        }
        if matches!(answer, Answer::Broken(_) | Answer::TooSlow(_)) {
            worker = spawner.spawn(&reference.paths)?;
        }
        // Foreseen wrongly (a busy machine, a cost that turns steeper): the
        // size is left out as one the budget could not afford.
        if let (Answer::TooSlow(_), Some(n)) = (&answer, input.size) {
            skipped.push(n);
            continue;
        }
        answers.push(answer);
        kept.push(input);
    }
    let coverage = exp
        .knob
        .as_ref()
        .filter(|_| exp.verify_inputs.is_none())
        .map(|k| {
            let sizes: Vec<u64> = kept.iter().filter_map(|i| i.size).collect();
            let tried = (
                sizes.iter().copied().min().unwrap_or(k.min),
                sizes.iter().copied().max().unwrap_or(k.min),
            );
            Coverage {
                declared: (k.min, k.max),
                tried,
                skipped: skipped.len(),
                ceiling: skipped.iter().min().map(|&first| {
                    ceiling(&timed, (tried.1, first), stepwise, cfg.budget).max(tried.1)
                }),
                budget_seconds: cfg.budget,
            }
        });
    let mut records = Vec::new();
    for setup in setups.iter().filter(|s| !s.lane.reference) {
        let mut record = check_lane(exp, cfg, setup, &kept, &answers, cancel, spawner)?;
        record.coverage = coverage.clone();
        sink(Event::Verified(record.clone()));
        records.push(record);
    }
    Ok(records)
}

fn check_lane(
    exp: &Experiment,
    cfg: &VerifyConfig,
    setup: &LaneSetup,
    inputs: &[Input],
    answers: &[Answer],
    cancel: &crate::cancel::Cancel,
    spawner: &dyn Spawner,
) -> LabResult<VerifyRecord> {
    let lane: &Lane = &setup.lane;
    let mut record = VerifyRecord {
        experiment: exp.key.clone(),
        lane: lane.name.clone(),
        tried: 0,
        agreed: 0,
        disagreements: Vec::new(),
        seed: cfg.seed,
        coverage: None,
    };
    let mut worker: Option<Box<dyn Caller>> = None;
    for (input, reference) in inputs.iter().zip(answers) {
        if cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        // A lab.toml mistake (a name that does not load) stops the lane at once.
        let w = match worker.as_mut() {
            Some(w) => w,
            None => worker.insert(spawner.spawn_lane(setup)?),
        };
        let expect = match reference {
            Answer::Value { json, .. } => json.clone(),
            _ => None,
        };
        let (answer, correct) = ask(w.as_mut(), setup, input, expect);
        if matches!(answer, Answer::Broken(_)) {
            worker = None; // started again for the next input
        }
        record.tried += 1;
        if agrees(reference, &answer, correct) {
            record.agreed += 1;
        } else {
            let function = setup.call.code().map_or("fib", |c| c.name.as_str());
            let through = setup
                .call
                .setup
                .as_ref()
                .filter(|_| input.through_setup && lane.language != Language::Native)
                .map(|c| c.name.as_str());
            record.disagreements.push(Disagreement {
                seed: input.seed,
                input: call_text(function, input, through),
                reference: reference.describe(),
                lane: answer.describe(),
            });
        }
    }
    // The smallest inputs first: the easiest to read and to debug.
    record.disagreements.sort_by_key(|d| d.input.len());
    record.disagreements.truncate(SHOWN);
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> Answer {
        Answer::Value {
            repr: v.into(),
            json: Some(v.into()),
        }
    }

    fn raised(kind: FailKind) -> Answer {
        Answer::Raised {
            kind,
            message: "ValueError: x".into(),
        }
    }

    #[test]
    fn agreement_is_equal_values_or_both_raising_never_a_panic() {
        assert!(agrees(&value("3"), &value("3"), Some(true)));
        assert!(!agrees(&value("3"), &value("4"), Some(false)));
        assert!(agrees(
            &raised(FailKind::Exception),
            &raised(FailKind::Overflow),
            None
        ));
        assert!(!agrees(
            &raised(FailKind::Exception),
            &raised(FailKind::Panic),
            None
        ));
        assert!(!agrees(&value("3"), &raised(FailKind::Exception), None));
        assert!(!agrees(&raised(FailKind::Exception), &value("3"), None));
        assert!(!agrees(
            &value("3"),
            &Answer::Broken("crashed".into()),
            None
        ));
        // A reference result JSON cannot hold is compared by repr.
        let set = Answer::Value {
            repr: "{1, 2}".into(),
            json: None,
        };
        assert!(agrees(&set, &set.clone(), None));
    }

    #[test]
    fn each_input_comes_from_its_own_seed() {
        let exp = crate::engine::experiment::fixtures::experiment("fib", 35, 93, true);
        let mut unused = NoWorker;
        let a = inputs(&exp, &VerifyConfig::new(5, Some(100)), &mut unused).unwrap();
        let b = inputs(&exp, &VerifyConfig::new(1, Some(103)), &mut unused).unwrap();
        assert_eq!(a[3], b[0], "seed 103 replays the fourth input of seed 100");
        assert!(a.iter().all(|i| {
            let n = serde_json::from_str::<Vec<u64>>(&i.args).unwrap()[0];
            n <= exp.knob.as_ref().unwrap().max && Some(n) == i.size
        }));
        assert_ne!(a[0].args, a[1].args);
    }

    #[test]
    fn sizes_reach_the_top_of_the_declared_range_evenly_in_log_size() {
        let draws: Vec<u64> = (0..1000)
            .map(|i| log_uniform(1, 1_000_000, i as f64 / 1000.0))
            .collect();
        let above = |n: u64| draws.iter().filter(|&&d| d > n).count();
        assert!((150..=180).contains(&above(100_000)), "{}", above(100_000));
        assert!((480..=520).contains(&above(1000)), "{}", above(1000));
        assert_eq!(log_uniform(5, 5, 0.7), 5);
    }

    #[test]
    fn a_size_the_reference_cannot_afford_is_foreseen_from_the_calls_made() {
        // A linear cost: 1 ms at 1,000, 10 ms at 10,000.
        let timed = [(1000, 0.001), (10_000, 0.01)];
        let t = predicted(&timed, 1_000_000, false).unwrap();
        assert!((t - 1.0).abs() < 1e-9, "{t}");
        assert_eq!(
            ceiling(&timed, (10_000, 10_000_000), false, BUDGET_SECONDS),
            2_000_000
        );
        assert_eq!(ceiling(&timed, (10_000, 10_000_000), false, 5.0), 5_000_000);
        // A cost that grows faster than the size is foreseen at least as steep.
        let steep = [(10, 0.001), (20, 0.004)];
        assert!(predicted(&steep, 40, false).unwrap() >= 0.016 - 1e-12);
        assert_eq!(predicted(&[], 5, false), None);
        // fib: φ a step of N, foreseen a step at a time (a power law through
        // N = 14 and 25 would foresee fib(39) 15 times too fast).
        let phi = 1.618f64;
        let fib = [(14, 1e-4), (25, 1e-4 * phi.powi(11))];
        let t = predicted(&fib, 39, true).unwrap();
        assert!((t / (1e-4 * phi.powi(25)) - 1.0).abs() < 1e-6, "{t}");
    }

    #[test]
    fn a_call_slowed_by_a_busy_machine_does_not_foresee_a_cost_no_program_has() {
        // sumsq is linear; beside two CPU hogs the call at 11,775 was
        // preempted and took 30 ms. Through it and the call before, the
        // growth would be an exponent of 8 and 20,028 would foresee 2 s.
        let busy = [(5000, 3e-4), (8000, 4e-4), (11_775, 0.03)];
        assert!(predicted(&busy, 20_028, false).unwrap() < 0.2);
        // Among many calls long enough to time, one slowed is outvoted.
        let linear: Vec<(u64, f64)> = (1..=8).map(|k| (k * 100_000, k as f64 * 0.01)).collect();
        let mut slowed = linear.clone();
        slowed[7].1 *= 3.0;
        let t = predicted(&slowed, 3_200_000, false).unwrap();
        assert!((0.25..0.8).contains(&t), "{t}");
        // fib's small sizes, timed mostly by the call's overhead, look flat:
        // fib(47) is foreseen at least a doubling a step above them.
        let flat = [(9, 5e-5), (13, 5e-5)];
        assert!(predicted(&flat, 47, true).unwrap() > 5e-5 * 2f64.powi(30));
        // A linear sum beside two hogs: calls slowed at random, up to
        // fourfold, three of ten; the growth stays near linear.
        let noisy: Vec<(u64, f64)> = (0..10)
            .map(|k| {
                let n = 20_000u64 << (k / 2);
                let n = n * (1 + k as u64 % 2);
                let slowed = [1.0, 4.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 2.5, 1.0][k];
                (n, n as f64 * 6e-8 * slowed)
            })
            .collect();
        let largest = noisy.iter().map(|p| p.0).max().unwrap();
        let t = predicted(&noisy, 7_700_000, false).unwrap();
        let linear = 7_700_000.0 * 6e-8;
        assert!(
            t < 2.0 * linear && t > 0.5 * linear,
            "{t} for {linear} (from {largest})"
        );
    }

    struct NoWorker;

    impl Caller for NoWorker {
        fn call(
            &mut self,
            _: &Request,
            _: Option<Duration>,
            _: &mut dyn FnMut(&crate::worker::protocol::Reply),
        ) -> Result<crate::worker::Finished, WorkerError> {
            Err(WorkerError::Broken("no worker in this test".into()))
        }
    }
}
