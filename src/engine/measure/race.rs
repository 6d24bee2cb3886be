//! Step 5 of the chapter, for any experiment: every implementation raced in
//! each selected build, each run timed inside its worker, each result checked
//! against the reference (the first Python implementation) and the known answer.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cancel::Cancel;
use crate::engine::error::LabResult;
use crate::engine::event::{Event, Sink};
use crate::engine::experiment::Experiment;
use crate::engine::seams::{Caller, LaneSetup, Spawner};
use crate::engine::types::{LaneRecord, Language, RunOutcome, Variant};
use crate::fibonacci;
use crate::worker::WorkerError;
use crate::worker::protocol::{Callee, Code, Reply, Request};

/// A run shorter than this is too short to time reliably on its own...
const MIN_RUN: f64 = 0.010;
/// ...so its call is repeated to last about this long, and the time divided.
const TARGET_RUN: f64 = 0.020;
const MAX_REPEAT: u32 = 1_000_000;
/// The most measured rounds a time budget gives.
pub const MAX_ROUNDS: usize = 100;
/// Calls timed for the call-overhead measure.
const OVERHEAD_CALLS: u64 = 200_000;

#[derive(Clone, Debug)]
pub struct RaceConfig {
    /// The size knob's value; the experiment's default when None.
    pub size: Option<u64>,
    /// Measured rounds: at least this many, more while `budget` lasts (up
    /// to MAX_ROUNDS).
    pub runs: usize,
    pub budget: Duration,
    pub warmup: usize,
    pub timeout: Option<Duration>,
    /// The builds whose Rust lanes race.
    pub variants: Vec<Variant>,
    /// One more, untimed run of each Python lane under tracemalloc, for a
    /// report that shows it (the terminal does not: it skips the extra run).
    pub trace: bool,
}

/// The calls of one run and how much work each stands for.
struct Plan {
    args: Vec<Value>,
    size: Option<u64>,
    chunks: Option<Vec<u64>>,
    costs: Vec<f64>,
    /// The exact answer as JSON, when the lab knows it.
    expected: Option<String>,
}

impl Plan {
    fn new(exp: &Experiment, size: Option<u64>) -> LabResult<Self> {
        let args = exp.args_for(size)?;
        let n = exp.size_of(&args);
        let expected = exp.expected_for(&args)?;
        let chunks = exp
            .has_native()
            .then(|| fibonacci::plan(n.unwrap_or_default()));
        let costs = match &chunks {
            Some(c) => c.iter().map(|&m| fibonacci::cost(m)).collect(),
            None => vec![1.0],
        };
        Ok(Self {
            args,
            size: n,
            chunks,
            costs,
            expected,
        })
    }

    /// How far a run is after `done` progress reports.
    fn fraction(&self, done: usize, repeat: u32) -> f64 {
        if repeat > 1 {
            return done as f64 / repeat as f64;
        }
        self.costs[..done.min(self.costs.len())].iter().sum::<f64>()
            / self.costs.iter().sum::<f64>()
    }

    /// The request for one run of `setup`'s lane. A repeated run makes whole
    /// calls: its calls are short, and progress comes between repetitions.
    fn request(&self, setup: &LaneSetup, expect: Option<String>, repeat: u32) -> Request {
        let chunks = if repeat > 1 {
            None
        } else {
            self.chunks.clone()
        };
        setup.run(
            setup.call.with_args(self.args.clone()),
            expect,
            repeat,
            chunks,
        )
    }

    fn command(&self, setup: &LaneSetup) -> String {
        let call = setup.call.with_args(self.args.clone()).text();
        format!("{call}  [{}]", setup.label())
    }
}

/// A JSON argument list as it stands between a call's parentheses.
pub fn inside(args: &str) -> &str {
    args.strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(args)
}

/// The calls per run that make a run of `seconds` per call long enough to time.
fn calibrated(seconds: f64) -> u32 {
    if seconds >= MIN_RUN {
        return 1;
    }
    ((TARGET_RUN / seconds.max(1e-9)).ceil() as u32).clamp(2, MAX_REPEAT)
}

struct Entry {
    record: LaneRecord,
    /// The resident peak of the last run, kept when the run counts.
    last_memory: Option<u64>,
    setup: LaneSetup,
    worker: Option<Box<dyn Caller>>,
    /// Whether the call count was settled by a first run.
    calibrated: bool,
}

/// Why a lane's worker did not start, or its function did not load.
#[derive(Debug, thiserror::Error)]
enum NotStarted {
    #[error("{0}")]
    Spawn(#[from] WorkerError),
    /// Said as the lane's setup says it: which key of which lab.toml.
    #[error("{0}")]
    Load(String),
}

/// Starts a lane's worker and loads its function, refusing a Rust lane whose
/// function turns out to be Python code. The error is the lane's failure.
fn start(setup: &LaneSetup, spawner: &dyn Spawner) -> Result<Box<dyn Caller>, NotStarted> {
    let mut worker = spawner.spawn_lane(setup)?;
    if setup.call.callee != Callee::Native {
        let load = Request::Load {
            call: setup.call.clone(),
            compiled: setup.lane.is_compiled(),
        };
        worker
            .call(&load, None, &mut |_| {})
            .map_err(|e| NotStarted::Load(setup.failure(e)))?;
    }
    Ok(worker)
}

/// Runs the race: every lane loaded first, then warm-ups and measured runs,
/// lanes interleaved run by run so that drift on a shared machine hits every
/// lane alike. Every lane's result must equal the reference's (and the known
/// answer, when there is one). A lane that fails stops; the others go on.
pub fn run(
    exp: &Experiment,
    cfg: &RaceConfig,
    setups: Vec<LaneSetup>,
    sink: &Sink,
    cancel: &Cancel,
    spawner: &dyn Spawner,
) -> LabResult<Vec<LaneRecord>> {
    let plan = Plan::new(exp, cfg.size)?;
    sink(Event::RaceStarted {
        size: plan.size,
        lanes: setups.iter().map(|s| s.lane.clone()).collect(),
    });
    let mut entries: Vec<Entry> = setups
        .into_iter()
        .map(|setup| Entry::load(exp, setup, &plan, cfg, sink, cancel, spawner))
        .collect();
    // The reference's answer, once known: what the other lanes must match.
    let mut reference: Option<String> = None;
    let mut round = 0;
    let mut measuring: Option<Instant> = None;
    // Each lane's order within a round after the first is drawn anew, so no
    // lane always runs first (or right after the same neighbour).
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let mut rng = fastrand::Rng::new();
    while more_rounds(cfg, round, measuring) && !cancel.is_cancelled() {
        let warmup = round < cfg.warmup;
        let run = if warmup { round } else { round - cfg.warmup };
        if !warmup {
            measuring.get_or_insert_with(Instant::now);
        }
        if round > 0 {
            rng.shuffle(&mut order);
        }
        let mut recalibrated = false;
        for &at in &order {
            let entry = &mut entries[at];
            let Some(outcome) = run_once(entry, &plan, cfg, &mut reference, sink) else {
                continue;
            };
            let measured = entry.keep(&outcome, warmup, &mut recalibrated);
            sink(Event::LaneFinished {
                lane: entry.record.lane.clone(),
                run,
                warmup: !measured,
                outcome,
            });
            if cancel.is_cancelled() {
                break;
            }
        }
        if round == 0 {
            same_calls_per_build_kind(&mut entries);
        }
        // A measured round in which a lane changed its call count is made again,
        // so every lane keeps the same number of measured runs.
        if recalibrated {
            for entry in &mut entries {
                if !warmup && entry.record.times.len() > run {
                    entry.record.pop_run();
                }
            }
        } else {
            round += 1;
        }
    }
    for entry in &mut entries {
        measure_overhead(entry, cfg);
        if cfg.trace {
            trace_python(entry, &plan, cfg);
        }
    }
    Ok(entries.into_iter().map(Entry::finish).collect())
}

impl Entry {
    /// A lane's record begun and its worker started; a lane whose worker
    /// does not start (or a cancel while lanes load) is finished at once.
    fn load(
        exp: &Experiment,
        setup: LaneSetup,
        plan: &Plan,
        cfg: &RaceConfig,
        sink: &Sink,
        cancel: &Cancel,
        spawner: &dyn Spawner,
    ) -> Self {
        let mut record = LaneRecord {
            expected: plan.expected.clone(),
            ..LaneRecord::new(&exp.key, setup.lane.clone(), plan.command(&setup))
        };
        let loaded = if cancel.is_cancelled() {
            Err(NotStarted::Spawn(WorkerError::Cancelled))
        } else {
            start(&setup, spawner)
        };
        let worker = loaded
            .map_err(|why| {
                let why = why.to_string();
                sink(Event::LaneFinished {
                    lane: setup.lane.clone(),
                    run: 0,
                    warmup: cfg.warmup > 0,
                    outcome: RunOutcome::Failed(why.clone()),
                });
                record.failure = Some(why);
                record.correct = false;
            })
            .ok();
        Entry {
            record,
            last_memory: None,
            setup,
            worker,
            calibrated: false,
        }
    }

    /// Keeps a run's outcome in the record; returns whether it is one of the
    /// lane's measured runs: a warm-up and a run that only settled the calls
    /// a run makes are not. The first run settles how many calls a run
    /// makes; a run made with the wrong count does not count (with no
    /// warm-up, the round is made again: `recalibrated`).
    fn keep(&mut self, outcome: &RunOutcome, warmup: bool, recalibrated: &mut bool) -> bool {
        let record = &mut self.record;
        let mut measured = !warmup;
        match outcome {
            RunOutcome::Done {
                seconds,
                result,
                correct,
                phases,
            } => {
                let fresh = !self.calibrated;
                self.calibrated = true;
                if fresh && record.repeat == 1 && calibrated(*seconds) > 1 {
                    record.repeat = calibrated(*seconds);
                    *recalibrated |= !warmup;
                    measured = false;
                } else if !warmup {
                    record.push_run(*seconds, self.last_memory, phases);
                }
                record.correct &= *correct;
                record.result = Some(result.clone());
            }
            RunOutcome::Failed(why) => {
                record.failure = Some(why.clone());
                record.correct = false;
                self.worker = None;
            }
        }
        measured
    }

    /// The lane's record as the race ends: a lane that never finished a run
    /// says so, and has no right result.
    fn finish(self) -> LaneRecord {
        let mut record = self.record;
        if record.result.is_none() && record.failure.is_none() {
            record.failure = Some("no run finished".into());
        }
        record.correct &= record.result.is_some();
        record
    }
}

/// Builds of one implementation that are compared with each other (release
/// against lto, native, or a copy of itself) make the same number of calls a
/// run: a run of 8 ms and one of 17 ms are not timed alike on a busy machine
/// (a worker that just woke is favoured by the scheduler for its first
/// milliseconds), which an A/A race showed as false "significant" results.
/// Debug builds, several times slower, keep their own count.
fn same_calls_per_build_kind(entries: &mut [Entry]) {
    let kind = |e: &Entry| {
        let lane = &e.record.lane;
        (
            lane.implementation.clone(),
            lane.language,
            lane.variant.as_ref().map(|v| v.spec().release),
        )
    };
    let most: Vec<u32> = entries
        .iter()
        .map(|e| {
            entries
                .iter()
                .filter(|o| kind(o) == kind(e))
                .map(|o| o.record.repeat)
                .max()
                .unwrap_or(1)
        })
        .collect();
    for (e, repeat) in entries.iter_mut().zip(most) {
        e.record.repeat = repeat;
    }
}

/// Whether to race another round: the warm-ups and `runs` always; then more
/// while the measured rounds have taken less than the budget.
fn more_rounds(cfg: &RaceConfig, round: usize, measuring: Option<Instant>) -> bool {
    let measured = round.saturating_sub(cfg.warmup);
    round < cfg.warmup + cfg.runs
        || (measured < MAX_ROUNDS && measuring.is_some_and(|t| t.elapsed() < cfg.budget))
}

/// One run of one lane, with its progress reported; None for a lane that stopped.
fn run_once(
    entry: &mut Entry,
    plan: &Plan,
    cfg: &RaceConfig,
    reference: &mut Option<String>,
    sink: &Sink,
) -> Option<RunOutcome> {
    let lane = entry.record.lane.clone();
    let worker = entry.worker.as_mut()?;
    // Once the reference has answered, its later runs are checked against
    // that answer too: a reference that changes its mind is no reference.
    let expect = plan.expected.clone().or_else(|| reference.clone());
    // The reference's own answer is no check of it: it stays "the reference".
    if expect.is_some() && !(lane.reference && plan.expected.is_none()) {
        entry.record.expected = expect.clone();
    }
    let repeat = entry.record.repeat;
    sink(Event::LaneStarted { lane: lane.clone() });
    let request = plan.request(&entry.setup, expect, repeat);
    let (mut memory, mut first_call) = (None, None);
    let outcome = worker.call(&request, cfg.timeout, &mut |reply| match reply {
        Reply::Progress { done } => sink(Event::LaneProgress {
            lane: lane.clone(),
            fraction: plan.fraction(*done, repeat),
        }),
        Reply::Memory { peak, .. } => memory = Some(*peak),
        Reply::FirstCall { seconds } => first_call = Some(*seconds),
        _ => {}
    });
    entry.last_memory = memory.flatten();
    entry.record.first_call = entry.record.first_call.or(first_call);
    Some(match outcome {
        Ok(done) => {
            if lane.reference && reference.is_none() {
                *reference = done.json.clone();
            }
            if entry.record.mismatch.is_none() {
                entry.record.mismatch = done.mismatch.clone();
            }
            // The reference is right by definition when nothing else is known.
            let correct = match (done.correct, lane.reference) {
                (Some(c), _) => c,
                (None, true) => true,
                (None, false) => false,
            };
            RunOutcome::Done {
                seconds: done.seconds,
                result: done.result,
                correct,
                phases: done.phases,
            }
        }
        Err(e) => RunOutcome::Failed(entry.setup.failure(e)),
    })
}

/// One more run of a Python lane with tracemalloc on, untimed: what Python's
/// own allocator saw, beside the resident peak.
fn trace_python(entry: &mut Entry, plan: &Plan, cfg: &RaceConfig) {
    if entry.setup.lane.language != Language::Python || entry.record.times.is_empty() {
        return;
    }
    if let Some(worker) = entry.worker.as_mut() {
        entry.record.traced_bytes = traced_run(
            worker.as_mut(),
            plan,
            &entry.setup,
            entry.record.repeat,
            cfg,
        );
    }
}

/// One untimed run of `setup`'s lane under tracemalloc: its peak in bytes.
fn traced_run(
    worker: &mut dyn Caller,
    plan: &Plan,
    setup: &LaneSetup,
    repeat: u32,
    cfg: &RaceConfig,
) -> Option<u64> {
    let mut request = plan.request(setup, None, repeat);
    if let Request::Race { trace, chunks, .. } = &mut request {
        *trace = true;
        *chunks = None;
    }
    let mut traced = None;
    let _ = worker.call(&request, cfg.timeout, &mut |reply| {
        if let Reply::Memory { traced: t, .. } = reply {
            traced = *t;
        }
    });
    traced
}

/// The tracemalloc run of every Python lane on its own, apart from a race
/// (`trace` off there): the run is untimed, so it may overlap with work that
/// only sleeps, such as the GIL demo. Lanes that fail to load are left out.
pub fn trace(
    exp: &Experiment,
    cfg: &RaceConfig,
    setups: &[LaneSetup],
    spawner: &dyn Spawner,
) -> LabResult<Vec<(String, u64)>> {
    let plan = Plan::new(exp, cfg.size)?;
    Ok(setups
        .iter()
        .filter(|s| s.lane.language == Language::Python)
        .filter_map(|setup| {
            let mut worker = start(setup, spawner).ok()?;
            let bytes = traced_run(worker.as_mut(), &plan, setup, 1, cfg)?;
            Some((setup.lane.name.clone(), bytes))
        })
        .collect())
}

/// Times a trivial call across the lane's boundary, when the experiment names one.
fn measure_overhead(entry: &mut Entry, cfg: &RaceConfig) {
    let (Some(worker), Some(code), Some(function)) = (
        entry.worker.as_mut(),
        entry.setup.call.code(),
        &entry.setup.overhead,
    ) else {
        return;
    };
    let request = Request::Overhead {
        function: Code::new(&code.module, function),
        calls: OVERHEAD_CALLS,
    };
    if let Ok(done) = worker.call(&request, cfg.timeout, &mut |_| {}) {
        entry.record.overhead_ns = Some(done.seconds * 1e9);
    }
}

#[cfg(test)]
#[path = "race_tests.rs"]
mod tests;
