//! Step 5 of the chapter: fib(N) raced in Python and in both Rust builds,
//! each run timed inside its worker, each result checked.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::build::Variant;
use super::cancel::Cancel;
use super::event::{Event, Sink};
use super::protocol::{Reply, Request};
use super::worker::Worker;

/// The largest N whose Fibonacci number fits the Rust function's u64.
pub const MAX_N: u64 = 93;
/// The chapter's N.
pub const DEFAULT_N: u64 = 35;

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

    fn function(self) -> (&'static str, &'static str) {
        match self {
            Lane::Python => ("fib_reference", "pyrun"),
            _ => ("fibonacci", "run"),
        }
    }

    /// A human label of what the lane runs, like hyperfine's `command`.
    pub fn command(self, n: u64) -> String {
        let (module, function) = self.function();
        match self.variant() {
            None => format!("{module}.{function}({n})  [CPython]"),
            Some(v) => format!("{module}.{function}({n})  [PyO3, {}]", v.profile()),
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
    pub n: u64,
    pub runs: usize,
    pub warmup: usize,
    pub timeout: Option<Duration>,
    pub lanes: Vec<Lane>,
}

/// Everything measured of one lane.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneRecord {
    pub lane: Lane,
    pub command: String,
    /// Measured runs only, warm-ups left out.
    pub times: Vec<f64>,
    pub result: Option<String>,
    pub expected: String,
    pub correct: bool,
    /// Why the lane stopped early, if it did.
    pub failure: Option<String>,
}

/// Where a lane's Python code comes from.
pub struct LaneSetup {
    pub lane: Lane,
    pub paths: Vec<PathBuf>,
}

/// Runs the race: warm-ups then measured runs, lanes interleaved run by run so
/// that drift on a shared machine hits every lane alike. A lane that fails
/// stops; the others go on.
pub fn run(
    cfg: &RaceConfig,
    setups: Vec<LaneSetup>,
    sink: &Sink,
    cancel: &Cancel,
) -> Vec<LaneRecord> {
    let chunks = plan(cfg.n);
    let costs: Vec<f64> = chunks.iter().map(|&c| cost(c)).collect();
    let total: f64 = costs.iter().sum();
    let expected = fib(cfg.n).to_string();
    let mut lanes: Vec<(LaneRecord, Option<Worker>)> = setups
        .into_iter()
        .map(|setup| {
            let mut record = LaneRecord {
                lane: setup.lane,
                command: setup.lane.command(cfg.n),
                times: Vec::new(),
                result: None,
                expected: expected.clone(),
                correct: false,
                failure: None,
            };
            let worker = Worker::spawn(&setup.paths, cancel)
                .map_err(|e| record.failure = Some(e.to_string()))
                .ok();
            (record, worker)
        })
        .collect();
    for round in 0..cfg.warmup + cfg.runs {
        let warmup = round < cfg.warmup;
        let run = if warmup { round } else { round - cfg.warmup };
        for (record, worker) in &mut lanes {
            let (lane, Some(w)) = (record.lane, worker.as_mut()) else {
                continue;
            };
            sink(Event::LaneStarted { lane });
            let (module, function) = lane.function();
            let request = Request::Race {
                module: module.into(),
                function: function.into(),
                chunks: chunks.clone(),
            };
            let outcome = match w.call(&request, cfg.timeout, |reply| {
                if let Reply::Progress { done } = reply {
                    let fraction = costs[..*done].iter().sum::<f64>() / total;
                    sink(Event::LaneProgress { lane, fraction });
                }
            }) {
                Ok((seconds, result)) => RunOutcome::Done {
                    seconds,
                    correct: result == expected,
                    result,
                },
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
                    record.correct = *correct && (record.result.is_none() || record.correct);
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
    lanes.into_iter().map(|(record, _)| record).collect()
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
