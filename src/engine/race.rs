//! Step 5 of the chapter: fib(N) raced in Python and in both Rust builds,
//! each run timed inside its worker, each result checked.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::build::Variant;
use super::cancel::Cancel;
use super::event::{Event, Sink};
use super::experiment::{Experiment, Split};
use super::protocol::{Reply, Request};
use super::worker::Worker;

/// The largest N whose Fibonacci number fits the Rust function's u64.
pub const MAX_N: u64 = 93;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lane {
    Python,
    RustDebug,
    RustRelease,
}

impl Lane {
    pub const ALL: [Lane; 3] = [Lane::Python, Lane::RustDebug, Lane::RustRelease];

    pub fn name(self) -> &'static str {
        match self {
            Lane::Python => "python",
            Lane::RustDebug => "rust-debug",
            Lane::RustRelease => "rust-release",
        }
    }

    /// The extension build the lane loads; none for pure Python.
    pub fn variant(self) -> Option<Variant> {
        match self {
            Lane::Python => None,
            Lane::RustDebug => Some(Variant::Debug),
            Lane::RustRelease => Some(Variant::Release),
        }
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
    /// Measured runs only, warm-ups left out.
    pub times: Vec<f64>,
    pub result: Option<String>,
    /// What the result was checked against, as JSON; None when nothing was known.
    pub expected: Option<String>,
    pub correct: bool,
    /// Why the lane stopped early, if it did.
    pub failure: Option<String>,
}

/// What a lane's worker loads and calls.
pub struct LaneSetup {
    pub lane: Lane,
    pub paths: Vec<PathBuf>,
    pub module: String,
    pub function: String,
    pub setup: Option<(String, String)>,
}

impl LaneSetup {
    /// The Python side of an experiment, or its Rust build at `site`.
    pub fn new(exp: &Experiment, lane: Lane, site: Option<PathBuf>, site_packages: &Path) -> Self {
        let (code, module, function) = match site {
            None => (
                exp.python_dir.clone(),
                &exp.python_module,
                &exp.python_function,
            ),
            Some(site) => (site, &exp.module, &exp.rust_function),
        };
        Self {
            lane,
            // The experiment's folder too, for a `setup` function living there.
            paths: vec![code, exp.python_dir.clone(), site_packages.to_path_buf()],
            module: module.clone(),
            function: function.clone(),
            setup: exp
                .python_setup
                .as_ref()
                .map(|f| (exp.python_module.clone(), f.clone())),
        }
    }
}

/// The calls of one run and how much work each stands for.
struct Plan {
    args: String,
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
            chunks,
            costs,
            expected,
        })
    }

    fn fraction(&self, done: usize) -> f64 {
        self.costs[..done.min(self.costs.len())].iter().sum::<f64>()
            / self.costs.iter().sum::<f64>()
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
    let mut lanes: Vec<(LaneRecord, LaneSetup, Option<Worker>)> = setups
        .into_iter()
        .map(|setup| {
            let label = match setup.lane.variant() {
                None => "CPython".to_owned(),
                Some(v) => format!("PyO3, {}", v.profile()),
            };
            let mut record = LaneRecord {
                experiment: exp.key.clone(),
                lane: setup.lane,
                command: format!(
                    "{}  [{label}]",
                    call_text(&setup.module, &setup.function, &plan.args)
                ),
                times: Vec::new(),
                result: None,
                expected: plan.expected.clone(),
                correct: true,
                failure: None,
            };
            let worker = Worker::spawn(&setup.paths, cancel)
                .map_err(|e| record.failure = Some(e.to_string()))
                .ok();
            (record, setup, worker)
        })
        .collect();
    // The Python lane's answer, once known: what the Rust lanes must match.
    let mut reference: Option<String> = None;
    for round in 0..cfg.warmup + cfg.runs {
        let warmup = round < cfg.warmup;
        let run = if warmup { round } else { round - cfg.warmup };
        for (record, setup, worker) in &mut lanes {
            let (lane, Some(w)) = (record.lane, worker.as_mut()) else {
                continue;
            };
            let expect = match lane {
                Lane::Python => plan.expected.clone(),
                _ => plan.expected.clone().or_else(|| reference.clone()),
            };
            record.expected = expect.clone().or_else(|| record.expected.take());
            sink(Event::LaneStarted { lane });
            let request = Request::Race {
                module: setup.module.clone(),
                function: setup.function.clone(),
                args: plan.args.clone(),
                setup: setup.setup.clone(),
                chunks: plan.chunks.clone(),
                expect: expect.clone(),
            };
            let outcome = match w.call(&request, cfg.timeout, |reply| {
                if let Reply::Progress { done } = reply {
                    sink(Event::LaneProgress {
                        lane,
                        fraction: plan.fraction(*done),
                    });
                }
            }) {
                Ok(done) => {
                    if lane == Lane::Python && reference.is_none() {
                        reference = done.json.clone();
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
                Err(e) => RunOutcome::Failed(e.to_string()),
            };
            match &outcome {
                RunOutcome::Done {
                    seconds,
                    result,
                    correct,
                } => {
                    if !warmup {
                        record.times.push(*seconds);
                    }
                    // A lane is right only if every run was.
                    record.correct &= *correct;
                    record.result = Some(result.clone());
                }
                RunOutcome::Failed(why) => {
                    record.failure = Some(why.clone());
                    record.correct = false;
                    *worker = None;
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
    }
    Ok(lanes
        .into_iter()
        .map(|(mut record, _, _)| {
            if record.result.is_none() && record.failure.is_none() {
                record.failure = Some("no run finished".into());
            }
            record.correct &= record.result.is_some();
            record
        })
        .collect())
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
