//! The second GIL experiment: T threads each doing the same CPU-bound work,
//! timed as a batch, for pure Python, Rust holding the GIL and Rust releasing
//! it. Only the last can use more than one core.

use std::path::PathBuf;

use crate::engine::error::{LabError, LabResult};
use crate::engine::event::{Event, Sink};
use crate::engine::measure::capacity::{self, Judgement};
use crate::engine::seams::{Caller, Spawner};
use crate::engine::types::{Scaling, ScalingRow};
use crate::worker::protocol::{Call, Reply, Request};

/// How long one thread's share of the work takes alone. Speed-ups are read
/// to two decimals: a batch this long is timed to well under 1% (thread
/// start-up is ~0.1 ms), and the best of `REPEATS` takes out the moments a
/// shared machine's speed wanders.
const UNIT_SECONDS: f64 = 0.015;
/// Batches per cell, the best kept.
const REPEATS: u32 = 4;
/// Rounds more of a result that failed, before the failure is said: a
/// busy moment only slows a batch, so more rounds can clear a function that
/// runs in parallel and never one that holds the GIL. (Four test binaries
/// at once once kept the released function's two-thread batches serial in
/// all four rounds while the yardstick's shorter ones found a free moment.)
const CONFIRM_REPEATS: u32 = 8;

/// The yardstick: T OS threads of the same spin in the lab's own Rust, no
/// Python, no GIL (`worker::native`).
pub const NATIVE: &str = "rust-native";

/// Every row of the table, the yardstick first.
pub const CONTENDERS: [&str; 4] = [NATIVE, "python", "rust-gil-held", "rust-gil-released"];

/// 1, 2, 4, ... up to twice the core count.
pub fn thread_counts(cores: usize) -> Vec<u32> {
    let top = (2 * cores.max(1)) as u32;
    let mut counts: Vec<u32> = std::iter::successors(Some(1u32), |t| Some(t * 2))
        .take_while(|&t| t <= top)
        .collect();
    if counts.last() != Some(&top) {
        counts.push(top);
    }
    counts
}

/// Speed-ups from raw (contender, threads, wall) rows, and the check, made
/// against what `rust-native` reached in the same batches: releasing the GIL
/// must reach most of it, holding the GIL must stay at 1x. When the machine
/// itself gave under `capacity::MIN_CAPACITY`, the verdict is "can't tell",
/// a warning, not a failure.
pub fn analyse(cores: usize, raw: Vec<(String, u32, f64)>) -> Scaling {
    let single = |c: &str| raw.iter().find(|r| r.0 == c && r.1 == 1).map(|r| r.2);
    let rows: Vec<ScalingRow> = raw
        .iter()
        .map(|(contender, threads, wall)| ScalingRow {
            contender: contender.clone(),
            threads: *threads,
            wall: *wall,
            speedup: single(contender).map_or(0.0, |w1| capacity::speedup(*threads, w1, *wall)),
        })
        .collect();
    let at = |c: &str, t: u32| {
        rows.iter()
            .find(|r| r.contender == c && r.threads == t)
            .map(|r| r.speedup)
    };
    let top = rows.iter().map(|r| r.threads).max().unwrap_or(1);
    let judged = (cores.max(2) as u32).min(top).max(2);
    let python = at("python", judged).unwrap_or(f64::NAN);
    let (ok, warning, verdict) = match (
        at(NATIVE, judged),
        at("rust-gil-released", judged),
        at("rust-gil-held", judged),
    ) {
        _ if cores < 2 => (
            true,
            false,
            "one core: nothing can run in parallel, so nothing to check".to_owned(),
        ),
        (Some(c), Some(r), Some(h)) => {
            let best = at("rust-gil-released", top).unwrap_or(0.0);
            judge_pair(Pair {
                capacity: c,
                released: r,
                held: h,
                python,
                judged,
                top,
                best,
            })
        }
        _ => (
            false,
            false,
            "the scaling experiment gave no result".to_owned(),
        ),
    };
    Scaling {
        cores,
        rows,
        ok,
        warning,
        verdict,
    }
}

/// The speed-ups the verdict is made of, at `judged` threads: the
/// machine's (native threads), the two Rust functions' and Python's; and
/// the released function's `best` at the most threads, `top`.
struct Pair {
    capacity: f64,
    released: f64,
    held: f64,
    python: f64,
    judged: u32,
    top: u32,
    best: f64,
}

/// (passes, is a warning, the verdict in words): a failure needs a machine
/// that was clearly parallel; on one that gave little, the same figures
/// are a warning.
fn judge_pair(p: Pair) -> (bool, bool, String) {
    let Pair {
        capacity: c,
        released: r,
        held: h,
        python,
        judged,
        top,
        best,
    } = p;
    let (released, held) = (capacity::judge(r, c), capacity::judge(h, c));
    let with = format!("with {judged} threads");
    let sure = c >= capacity::CLEAR_CAPACITY;
    match (released, held) {
        (Judgement::CantTell { .. }, _) => (
            true,
            true,
            format!(
                "{}; releasing the GIL gave {r:.2}x, holding it {h:.2}x: run again on a quieter machine",
                capacity::cant_tell(c, Some(judged))
            ),
        ),
        (_, Judgement::Scales { .. }) => (
            !sure,
            !sure,
            format!(
                "holding the GIL did not stay at 1x: {h:.2}x {with}, where this machine gave {c:.2}x{}",
                if sure {
                    ""
                } else {
                    " (too little was free to be sure: run again)"
                }
            ),
        ),
        (Judgement::Holds { .. }, _) => (
            !sure,
            !sure,
            format!(
                "releasing the GIL {} {with}: {}",
                released.describe(),
                if sure {
                    "the released function does not run in parallel"
                } else {
                    "too little was free to be sure; run again on a quieter machine"
                }
            ),
        ),
        (Judgement::Partly { .. }, _) | (_, Judgement::Partly { .. }) => (
            true,
            true,
            format!(
                "releasing the GIL {} {with} (holding it: {h:.2}x): partly parallel, or a busy moment; run again to be sure",
                released.describe()
            ),
        ),
        (Judgement::Scales { .. }, _) => (
            true,
            false,
            format!(
                "releasing the GIL scales: it {} {with} (holding it: {h:.2}x, Python: {python:.2}x); \
                 up to {best:.2}x with {top}",
                released.describe(),
            ),
        ),
    }
}

/// Runs the batches in a worker; `paths` holds `assets/` and the `gil` build.
/// A worker with the scaling code imported, ready to run: it can be made
/// while something else runs (the GIL demo sleeps), so the batches start at once.
pub fn prepare(paths: &[PathBuf], spawner: &dyn Spawner) -> LabResult<Box<dyn Caller>> {
    let load = Request::Load {
        call: Call::function("gil_scaling", "scaling", Vec::new()),
        compiled: false,
    };
    spawner
        .spawn(paths)
        .and_then(|mut w| w.call(&load, None, &mut |_| {}).map(|_| w))
        .map_err(failed)
}

/// A worker's error as the scaling experiment's; a cancel stays a cancel.
fn failed(e: crate::worker::WorkerError) -> LabError {
    match LabError::from(e) {
        LabError::Worker(e) => LabError::Run(format!("the scaling experiment {e}")),
        cancelled => cancelled,
    }
}

/// Runs the batches in a worker from `prepare`; each repeat's end is
/// reported as `Event::ScalingProgress`. A failure is measured again
/// before it is said (`CONFIRM_REPEATS`).
pub fn run(mut worker: Box<dyn Caller>, sink: &Sink) -> LabResult<Scaling> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    measure(worker.as_mut(), cores, sink)
}

/// `run` on a machine of `cores` cores.
fn measure(worker: &mut dyn Caller, cores: usize, sink: &Sink) -> LabResult<Scaling> {
    let counts = serde_json::json!(thread_counts(cores));
    let args = vec![counts.clone(), UNIT_SECONDS.into(), REPEATS.into()];
    let raw = batches(worker, "scaling", args, sink)?;
    let first = analyse(cores, raw.clone());
    if first.ok {
        return Ok(first);
    }
    let args = vec![
        serde_json::json!(CONTENDERS),
        counts,
        CONFIRM_REPEATS.into(),
    ];
    let more = batches(worker, "confirm", args, sink)?;
    let mut again = analyse(cores, merge(raw, &more));
    again.verdict = if again.ok {
        format!(
            "{} (the first {REPEATS} rounds failed: \"{}\"; {CONFIRM_REPEATS} more did not)",
            again.verdict, first.verdict
        )
    } else {
        format!(
            "{} (the same after {CONFIRM_REPEATS} more rounds)",
            again.verdict
        )
    };
    Ok(again)
}

/// The rows of one call of `gil_scaling.FUNCTION`: (contender, threads, wall).
fn batches(
    worker: &mut dyn Caller,
    function: &str,
    args: Vec<serde_json::Value>,
    sink: &Sink,
) -> LabResult<Vec<(String, u32, f64)>> {
    let request = Request::Call {
        call: Call::function("gil_scaling", function, args),
    };
    let done = worker
        .call(&request, None, &mut |reply: &Reply| {
            if let Reply::Line { text, .. } = reply
                && let Some((done, of)) = progress(text)
            {
                sink(Event::ScalingProgress { done, of });
            }
        })
        .map_err(failed)?;
    done.json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(|| LabError::Run(format!("the scaling experiment returned {}", done.result)))
}

/// Each cell's best wall time over both sets of rounds.
fn merge(mut raw: Vec<(String, u32, f64)>, more: &[(String, u32, f64)]) -> Vec<(String, u32, f64)> {
    for (contender, threads, wall) in more {
        if let Some(cell) = raw
            .iter_mut()
            .find(|r| &r.0 == contender && r.1 == *threads)
        {
            cell.2 = cell.2.min(*wall);
        }
    }
    raw
}

/// "batch 2 of 4", as `gil_scaling.py` prints it.
fn progress(line: &str) -> Option<(u32, u32)> {
    let (done, of) = line.strip_prefix("batch ")?.split_once(" of ")?;
    Some((done.trim().parse().ok()?, of.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rows: &[(&str, u32, f64)]) -> Vec<(String, u32, f64)> {
        rows.iter().map(|&(c, t, w)| (c.to_owned(), t, w)).collect()
    }

    #[test]
    fn thread_counts_reach_twice_the_cores() {
        assert_eq!(thread_counts(2), [1, 2, 4]);
        assert_eq!(thread_counts(3), [1, 2, 4, 6]);
        assert_eq!(thread_counts(1), [1, 2]);
    }

    /// A run on two free cores: the native yardstick reaches 1.98x.
    fn run(released2: f64, held2: f64, native2: f64) -> Scaling {
        analyse(
            2,
            raw(&[
                (NATIVE, 1, 0.1),
                (NATIVE, 2, 0.2 / native2),
                ("python", 1, 0.1),
                ("python", 2, 0.2),
                ("rust-gil-held", 1, 0.1),
                ("rust-gil-held", 2, 0.2 / held2),
                ("rust-gil-released", 1, 0.1),
                ("rust-gil-released", 2, 0.2 / released2),
            ]),
        )
    }

    #[test]
    fn speedup_is_throughput_against_one_thread() {
        let s = run(1.9047, 1.0, 1.98);
        assert!(s.ok && !s.warning, "{}", s.verdict);
        assert!(
            s.verdict
                .contains("reaches 0.96 of what this machine gave (1.90x of 1.98x)"),
            "{}",
            s.verdict
        );
        let speedup = |c: &str| {
            s.rows
                .iter()
                .find(|r| r.contender == c && r.threads == 2)
                .unwrap()
                .speedup
        };
        assert!((speedup("rust-gil-released") - 1.9047).abs() < 1e-3);
        assert!((speedup("rust-gil-held") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_released_gil_that_does_not_scale_fails_the_check() {
        let s = run(1.01, 1.0, 1.97);
        assert!(!s.ok, "{}", s.verdict);
        assert!(
            s.verdict.contains("does not run in parallel"),
            "{}",
            s.verdict
        );
        assert!(
            analyse(1, raw(&[("rust-gil-held", 1, 0.1)])).ok,
            "one core: no check"
        );
    }

    /// A worker whose `scaling` call gives a released function that stayed
    /// serial, and whose `confirm` call gives it at `confirmed`x.
    struct Scripted {
        confirmed: f64,
        calls: Vec<String>,
    }

    impl Caller for Scripted {
        fn call(
            &mut self,
            request: &Request,
            _: Option<std::time::Duration>,
            _: &mut dyn FnMut(&Reply),
        ) -> Result<crate::worker::Finished, crate::worker::WorkerError> {
            let Request::Call {
                call:
                    Call {
                        callee: crate::worker::call::Callee::Function { function },
                        ..
                    },
            } = request
            else {
                unreachable!()
            };
            self.calls.push(function.name.clone());
            let released = if function.name == "confirm" {
                self.confirmed
            } else {
                0.98
            };
            let rows = raw(&[
                (NATIVE, 1, 0.1),
                (NATIVE, 2, 0.2 / 1.94),
                ("python", 1, 0.1),
                ("python", 2, 0.2),
                ("rust-gil-held", 1, 0.1),
                ("rust-gil-held", 2, 0.2),
                ("rust-gil-released", 1, 0.1),
                ("rust-gil-released", 2, 0.2 / released),
            ]);
            Ok(crate::worker::Finished {
                seconds: 0.0,
                result: String::new(),
                json: Some(serde_json::to_string(&rows).unwrap()),
                correct: None,
                mismatch: None,
                phases: Vec::new(),
            })
        }
    }

    #[test]
    fn a_failure_is_measured_again_before_it_is_said() {
        let sink: Sink = std::sync::Arc::new(|_| {});
        let mut busy_moment = Scripted {
            confirmed: 1.9,
            calls: Vec::new(),
        };
        let s = measure(&mut busy_moment, 2, &sink).unwrap();
        assert_eq!(busy_moment.calls, ["scaling", "confirm"]);
        assert!(s.ok && !s.warning, "{}", s.verdict);
        assert!(s.verdict.contains("8 more did not"), "{}", s.verdict);

        let mut serial = Scripted {
            confirmed: 1.0,
            calls: Vec::new(),
        };
        let s = measure(&mut serial, 2, &sink).unwrap();
        assert!(!s.ok, "{}", s.verdict);
        assert!(
            s.verdict
                .contains("does not run in parallel (the same after 8 more rounds)"),
            "{}",
            s.verdict
        );
    }

    #[test]
    fn more_rounds_keep_each_cells_best() {
        let first = raw(&[(NATIVE, 2, 0.1), ("rust-gil-released", 2, 0.2)]);
        let more = raw(&[("rust-gil-released", 2, 0.11), (NATIVE, 2, 0.3)]);
        assert_eq!(
            merge(first, &more),
            raw(&[(NATIVE, 2, 0.1), ("rust-gil-released", 2, 0.11)])
        );
    }

    #[test]
    fn a_machine_that_gave_little_turns_a_failure_into_a_warning() {
        let s = run(1.02, 1.0, 1.6);
        assert!(s.ok && s.warning, "{}", s.verdict);
        assert!(
            s.verdict.contains("too little was free to be sure"),
            "{}",
            s.verdict
        );
    }

    #[test]
    fn holding_the_gil_must_stay_at_one() {
        let s = run(1.95, 1.9, 1.97);
        assert!(!s.ok, "{}", s.verdict);
        assert!(s.verdict.contains("did not stay at 1x"), "{}", s.verdict);
    }

    #[test]
    fn a_busy_machine_gives_a_warning_not_a_verdict() {
        // Two other programs keep both cores busy: even native Rust gets 1.1x.
        let s = run(1.01, 1.0, 1.1);
        assert!(s.ok, "a warning, not a failure: {}", s.verdict);
        assert!(s.warning);
        assert!(
            s.verdict
                .starts_with("can't tell: only 1.1 cores were free"),
            "{}",
            s.verdict
        );
        assert!(!s.verdict.contains("scales"), "{}", s.verdict);
    }

    #[test]
    fn scaling_progress_lines_are_read() {
        assert_eq!(progress("batch 2 of 4"), Some((2, 4)));
        assert_eq!(progress("Py: Exit..."), None);
    }
}
