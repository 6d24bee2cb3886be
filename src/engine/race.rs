//! Step 5 of the chapter, for any experiment: the Python function raced
//! against both Rust builds (and, for Fibonacci, against the same recursion
//! compiled into pyo3-lab itself), each run timed inside its worker, each
//! result checked.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::build::Variant;
use super::cancel::Cancel;
use super::event::{Event, Sink};
use super::experiment::{Experiment, Split};
use super::protocol::{FailKind, Reply, Request};
use super::worker::{Worker, WorkerError};

/// The largest N whose Fibonacci number fits the Rust function's u64.
pub const MAX_N: u64 = 93;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lane {
    Python,
    RustDebug,
    RustRelease,
    /// The same naive recursion inside pyo3-lab: no Python, the algorithm's limit.
    RustNative,
}

impl Lane {
    pub const ALL: [Lane; 4] = [
        Lane::Python,
        Lane::RustDebug,
        Lane::RustRelease,
        Lane::RustNative,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lane::Python => "python",
            Lane::RustDebug => "rust-debug",
            Lane::RustRelease => "rust-release",
            Lane::RustNative => "rust-native",
        }
    }

    /// The extension build the lane loads; none for pure Python or native Rust.
    pub fn variant(self) -> Option<Variant> {
        match self {
            Lane::RustDebug => Some(Variant::Debug),
            Lane::RustRelease => Some(Variant::Release),
            Lane::Python | Lane::RustNative => None,
        }
    }

    /// The lanes an experiment races: rust-native only where pyo3-lab has the
    /// algorithm built in (Fibonacci).
    pub fn for_experiment(exp: &Experiment) -> Vec<Lane> {
        Lane::ALL
            .into_iter()
            .filter(|&l| l != Lane::RustNative || exp.split == Some(Split::Fibonacci))
            .collect()
    }
}

/// fib(n), computed the fast way, to check the lanes' answers.
pub fn fib(n: u64) -> u128 {
    let (mut a, mut b) = (0u128, 1u128);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

/// Calls made by the naive recursion for fib(m): the work a chunk stands for.
fn cost(m: u64) -> f64 {
    2.0 * fib(m + 1) as f64 - 1.0
}

/// Chunks no smaller than this are split further; smaller ones are quick enough
/// that a progress report between them would cost more than it shows.
const MIN_SPLIT: u64 = 22;
const MAX_CHUNKS: usize = 48;

/// Splits fib(n) into calls whose results add up to it: the top of the naive
/// recursion tree unrolled (fib(m) = fib(m-1) + fib(m-2)), largest first. The
/// work is the same recursion, and progress can be reported between calls.
pub fn plan(n: u64) -> Vec<u64> {
    let mut chunks = vec![n];
    while chunks.len() < MAX_CHUNKS {
        chunks.sort_unstable_by(|a, b| b.cmp(a));
        let biggest = chunks[0];
        if biggest < MIN_SPLIT {
            break;
        }
        chunks[0] = biggest - 1;
        chunks.push(biggest - 2);
    }
    chunks.sort_unstable_by(|a, b| b.cmp(a));
    chunks
}

/// A run shorter than this is too short to time reliably on its own...
const MIN_RUN: f64 = 0.010;
/// ...so its call is repeated to last about this long, and the time divided.
const TARGET_RUN: f64 = 0.020;
const MAX_REPEAT: u32 = 1_000_000;
/// Calls timed for the call-overhead measure.
const OVERHEAD_CALLS: u64 = 200_000;

/// How one timed run of one lane ended.
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutcome {
    Done {
        seconds: f64,
        result: String,
        correct: bool,
    },
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct RaceConfig {
    /// The size knob's value; the experiment's default when None.
    pub size: Option<u64>,
    pub runs: usize,
    pub warmup: usize,
    pub timeout: Option<Duration>,
    pub lanes: Vec<Lane>,
}

/// Everything measured of one lane.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneRecord {
    pub experiment: String,
    pub lane: Lane,
    pub command: String,
    /// Measured runs only, warm-ups left out; seconds per call.
    pub times: Vec<f64>,
    /// Calls per timed run (above 1 when one call is too short to time).
    pub repeat: u32,
    pub result: Option<String>,
    /// What the result was checked against, as JSON; None when nothing was known.
    pub expected: Option<String>,
    pub correct: bool,
    /// Why the lane stopped early, if it did.
    pub failure: Option<String>,
    /// The cost of one call of a trivial function across the same boundary.
    pub overhead_ns: Option<f64>,
}

impl LaneRecord {
    /// What is wrong with this lane, in words; None when it ran and was right.
    pub fn problem(&self) -> Option<String> {
        match (&self.failure, self.correct, &self.expected) {
            (Some(f), _, _) => Some(f.clone()),
            (None, true, _) => None,
            (None, false, Some(expected)) => Some(format!(
                "returned {}, expected {expected}",
                self.result.as_deref().unwrap_or("nothing")
            )),
            (None, false, None) => {
                Some("could not be checked: the python lane gave no result to compare with".into())
            }
        }
    }
}

/// What a lane's worker loads and calls.
pub struct LaneSetup {
    pub lane: Lane,
    pub paths: Vec<PathBuf>,
    pub module: String,
    pub function: String,
    pub setup: Option<(String, String)>,
    /// A trivial function of the same module, to time one call's overhead.
    pub overhead: Option<String>,
    /// Where the names come from, for messages.
    pub lab_toml: PathBuf,
}

impl LaneSetup {
    /// The Python side of an experiment, its Rust build at `site`, or native Rust.
    pub fn new(exp: &Experiment, lane: Lane, site: Option<PathBuf>, site_packages: &Path) -> Self {
        let (code, module, function, overhead) = match (lane, site) {
            (Lane::RustNative, _) => (None, "pyo3-lab", "fib", None),
            (_, Some(site)) => (
                Some(site),
                exp.module.as_str(),
                exp.rust_function.as_str(),
                exp.overhead.as_ref().map(|o| &o.1),
            ),
            (_, None) => (
                Some(exp.python_dir.clone()),
                exp.python_module.as_str(),
                exp.python_function.as_str(),
                exp.overhead.as_ref().map(|o| &o.0),
            ),
        };
        // The experiment's folder too, for a `setup` function living there.
        let mut paths: Vec<PathBuf> = code.into_iter().collect();
        paths.extend([exp.python_dir.clone(), site_packages.to_path_buf()]);
        Self {
            lane,
            paths,
            module: module.to_owned(),
            function: function.to_owned(),
            setup: exp
                .python_setup
                .as_ref()
                .map(|f| (exp.python_module.clone(), f.clone())),
            overhead: overhead.cloned(),
            lab_toml: exp.dir.join(super::experiment::LAB_TOML),
        }
    }

    fn label(&self) -> String {
        match self.lane {
            Lane::Python => "CPython".into(),
            Lane::RustNative => format!(
                "Rust in pyo3-lab, no Python, {}",
                crate::worker::native::profile()
            ),
            l => format!("PyO3, {}", l.variant().map_or("", |v| v.profile())),
        }
    }
}

/// The calls of one run and how much work each stands for.
struct Plan {
    args: String,
    size: Option<u64>,
    chunks: Option<Vec<u64>>,
    costs: Vec<f64>,
    /// The exact answer as JSON, when the lab knows it.
    expected: Option<String>,
}

impl Plan {
    fn new(exp: &Experiment, size: Option<u64>) -> Result<Self, String> {
        let args = exp.args_for(size)?;
        let n = exp.size_of(&args);
        let (chunks, expected) = match (exp.split, n) {
            (Some(Split::Fibonacci), Some(n)) => {
                if n > MAX_N {
                    return Err(format!(
                        "N = {n} is past fib({MAX_N}), the largest that fits u64"
                    ));
                }
                (Some(plan(n)), Some(fib(n).to_string()))
            }
            _ => (None, exp.expected_for(&args).map(|v| v.to_string())),
        };
        let costs = match &chunks {
            Some(c) => c.iter().map(|&m| cost(m)).collect(),
            None => vec![1.0],
        };
        Ok(Self {
            args: serde_json::to_string(&args).expect("JSON values serialise"),
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
        match setup.lane {
            Lane::RustNative => Request::Native {
                n: self.size.unwrap_or_default(),
                chunks,
                expect,
                repeat,
            },
            _ => Request::Race {
                module: setup.module.clone(),
                function: setup.function.clone(),
                args: self.args.clone(),
                setup: setup.setup.clone(),
                chunks,
                expect,
                repeat,
            },
        }
    }
}

/// A call as a person would write it: `module.function(args)`.
fn call_text(module: &str, function: &str, args: &str) -> String {
    let inner = args
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(args);
    format!("{module}.{function}({inner})")
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
    setup: LaneSetup,
    worker: Option<Worker>,
    /// Whether the call count was settled by a first run.
    calibrated: bool,
}

/// Runs the race: warm-ups then measured runs, lanes interleaved run by run so
/// that drift on a shared machine hits every lane alike. The Rust lanes' results
/// must equal the Python lane's (and the known answer, when there is one). A
/// lane that fails stops; the others go on.
pub fn run(
    exp: &Experiment,
    cfg: &RaceConfig,
    setups: Vec<LaneSetup>,
    sink: &Sink,
    cancel: &Cancel,
) -> Result<Vec<LaneRecord>, String> {
    let plan = Plan::new(exp, cfg.size)?;
    let mut entries: Vec<Entry> = setups
        .into_iter()
        .map(|setup| {
            let command = match setup.lane {
                Lane::RustNative => format!("fib({})", plan.size.unwrap_or_default()),
                _ => call_text(&setup.module, &setup.function, &plan.args),
            };
            let mut record = LaneRecord {
                experiment: exp.key.clone(),
                lane: setup.lane,
                command: format!("{command}  [{}]", setup.label()),
                times: Vec::new(),
                repeat: 1,
                result: None,
                expected: plan.expected.clone(),
                correct: true,
                failure: None,
                overhead_ns: None,
            };
            let worker = Worker::spawn(&setup.paths, cancel)
                .map_err(|e| record.failure = Some(e.to_string()))
                .ok();
            Entry {
                record,
                setup,
                worker,
                calibrated: false,
            }
        })
        .collect();
    // The Python lane's answer, once known: what the other lanes must match.
    let mut reference: Option<String> = None;
    let mut round = 0;
    while round < cfg.warmup + cfg.runs && !cancel.is_cancelled() {
        let warmup = round < cfg.warmup;
        let run = if warmup { round } else { round - cfg.warmup };
        let mut recalibrated = false;
        for entry in &mut entries {
            let Some(outcome) = run_once(entry, &plan, cfg, &mut reference, sink) else {
                continue;
            };
            let lane = entry.record.lane;
            let record = &mut entry.record;
            match &outcome {
                RunOutcome::Done {
                    seconds,
                    result,
                    correct,
                } => {
                    // The first run settles how many calls a run makes. A run
                    // made with the wrong count does not count (with no warm-up,
                    // the round is made again).
                    let fresh = !entry.calibrated;
                    entry.calibrated = true;
                    if fresh && record.repeat == 1 && calibrated(*seconds) > 1 {
                        record.repeat = calibrated(*seconds);
                        recalibrated |= !warmup;
                    } else if !warmup {
                        record.times.push(*seconds);
                    }
                    record.correct &= *correct;
                    record.result = Some(result.clone());
                }
                RunOutcome::Failed(why) => {
                    record.failure = Some(why.clone());
                    record.correct = false;
                    entry.worker = None;
                }
            }
            sink(Event::LaneFinished {
                lane,
                run,
                warmup,
                outcome,
            });
            if cancel.is_cancelled() {
                break;
            }
        }
        // A measured round in which a lane changed its call count is made again,
        // so every lane keeps the same number of measured runs.
        if recalibrated {
            for entry in &mut entries {
                if !warmup && entry.record.times.len() > run {
                    entry.record.times.pop();
                }
            }
        } else {
            round += 1;
        }
    }
    for entry in &mut entries {
        measure_overhead(entry, cfg);
    }
    Ok(entries
        .into_iter()
        .map(|Entry { mut record, .. }| {
            if record.result.is_none() && record.failure.is_none() {
                record.failure = Some("no run finished".into());
            }
            record.correct &= record.result.is_some();
            record
        })
        .collect())
}

/// One run of one lane, with its progress reported; None for a lane that stopped.
fn run_once(
    entry: &mut Entry,
    plan: &Plan,
    cfg: &RaceConfig,
    reference: &mut Option<String>,
    sink: &Sink,
) -> Option<RunOutcome> {
    let lane = entry.record.lane;
    let worker = entry.worker.as_mut()?;
    let expect = match lane {
        Lane::Python => plan.expected.clone(),
        _ => plan.expected.clone().or_else(|| reference.clone()),
    };
    if expect.is_some() {
        entry.record.expected = expect.clone();
    }
    let repeat = entry.record.repeat;
    sink(Event::LaneStarted { lane });
    let request = plan.request(&entry.setup, expect, repeat);
    let outcome = worker.call(&request, cfg.timeout, |reply| {
        if let Reply::Progress { done } = reply {
            sink(Event::LaneProgress {
                lane,
                fraction: plan.fraction(*done, repeat),
            });
        }
    });
    Some(match outcome {
        Ok(done) => {
            if lane == Lane::Python && reference.is_none() {
                *reference = done.json.clone();
            }
            // The Python lane is the reference when nothing else is known.
            let correct = match (done.correct, lane) {
                (Some(c), _) => c,
                (None, Lane::Python) => true,
                (None, _) => false,
            };
            RunOutcome::Done {
                seconds: done.seconds,
                result: done.result,
                correct,
            }
        }
        // A name that does not load is a lab.toml mistake: say which key.
        Err(WorkerError::Failed {
            kind: FailKind::Import,
            message,
        }) => RunOutcome::Failed(format!(
            "could not load ({message}): check {} in {}",
            match lane {
                Lane::Python => "[python] file and function",
                _ => "module and [rust] function",
            },
            entry.setup.lab_toml.display()
        )),
        Err(e) => RunOutcome::Failed(e.to_string()),
    })
}

/// Times a trivial call across the lane's boundary, when the experiment names one.
fn measure_overhead(entry: &mut Entry, cfg: &RaceConfig) {
    let (Some(worker), Some(function)) = (entry.worker.as_mut(), &entry.setup.overhead) else {
        return;
    };
    let request = Request::Overhead {
        module: entry.setup.module.clone(),
        function: function.clone(),
        calls: OVERHEAD_CALLS,
    };
    if let Ok(done) = worker.call(&request, cfg.timeout, |_| {}) {
        entry.record.overhead_ns = Some(done.seconds * 1e9);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_matches_the_chapter() {
        assert_eq!(fib(0), 0);
        assert_eq!(fib(1), 1);
        assert_eq!(fib(35), 9_227_465);
        assert_eq!(fib(93), 12_200_160_415_121_876_738);
        assert!(fib(94) > u64::MAX as u128);
    }

    #[test]
    fn short_runs_are_repeated_to_be_timed() {
        assert_eq!(calibrated(0.5), 1);
        assert_eq!(calibrated(MIN_RUN), 1);
        assert_eq!(calibrated(0.001), 20);
        assert_eq!(calibrated(0.0), MAX_REPEAT);
    }

    #[test]
    fn the_plan_adds_up_to_fib_n() {
        for n in [0, 1, 2, 10, 21, 22, 23, 30, 35, 40, 93] {
            let chunks = plan(n);
            assert_eq!(
                chunks.iter().map(|&c| fib(c)).sum::<u128>(),
                fib(n),
                "n = {n}"
            );
            assert!(chunks.len() <= MAX_CHUNKS);
            assert!(chunks.windows(2).all(|w| w[0] >= w[1]), "largest first");
        }
    }

    #[test]
    fn the_plan_keeps_the_recursions_work() {
        // Unrolling the top of the tree only drops the unrolled nodes themselves.
        let chunks = plan(35);
        let work: f64 = chunks.iter().map(|&c| cost(c)).sum();
        assert!(chunks.len() > 16, "enough steps for a live bar: {chunks:?}");
        assert!(work <= cost(35) && work > 0.999 * cost(35));
        assert_eq!(plan(10), vec![10], "small N is one call");
    }
}
