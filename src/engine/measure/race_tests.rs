//! The race's scheduling, calibration and checks, against scripted workers:
//! milliseconds instead of real interpreters.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::engine::experiment::fixtures::with_rust;
use crate::engine::problem::ProblemKind;
use crate::worker::Finished;
use crate::worker::protocol::FailKind;
use std::path::PathBuf;

/// A worker that answers from a script: each Rust function's time per call,
/// and functions that misbehave by name.
struct Fake {
    calls: Rc<RefCell<Vec<String>>>,
}

fn seconds_of(function: &str) -> f64 {
    match function {
        "f" => 0.5,      // the Python reference
        "fast" => 0.001, // too short to time alone
        _ => 0.05,
    }
}

impl Caller for Fake {
    fn call(
        &mut self,
        request: &Request,
        _limit: Option<Duration>,
        on_reply: &mut dyn FnMut(&Reply),
    ) -> Result<Finished, WorkerError> {
        let done = Finished::scripted;
        match request {
            Request::Load { call, compiled } => {
                let function = &call.code().expect("a lane with code").name;
                self.calls.borrow_mut().push(format!("load {function}"));
                match (function.as_str(), compiled) {
                    ("missing", _) => Err(WorkerError::Failed {
                        kind: FailKind::Import,
                        message: "AttributeError: no missing".into(),
                    }),
                    ("pure_python", true) => Err(WorkerError::Failed {
                        kind: FailKind::NotCompiled,
                        message: "m.pure_python is a Python function".into(),
                    }),
                    _ => Ok(done(0.0, "None", &None)),
                }
            }
            Request::Race {
                call,
                expect,
                repeat,
                ..
            } if call.callee != Callee::Native => {
                let function = &call.code().expect("a lane with code").name;
                self.calls
                    .borrow_mut()
                    .push(format!("{function} x{repeat}"));
                on_reply(&Reply::Progress { done: 1 });
                match function.as_str() {
                    "crashes" => Err(WorkerError::Crashed {
                        how: "signal 11, SIGSEGV".into(),
                        why: String::new(),
                    }),
                    "wrong" => Ok(done(0.05, "41", expect)),
                    f => Ok(done(seconds_of(f), "42", expect)),
                }
            }
            Request::Race { expect, .. } => Ok(done(0.04, "42", expect)),
            _ => Ok(done(1e-7, "", &None)),
        }
    }
}

struct Script {
    calls: Rc<RefCell<Vec<String>>>,
}

impl Spawner for Script {
    fn spawn(&self, _paths: &[PathBuf]) -> Result<Box<dyn Caller>, WorkerError> {
        Ok(Box::new(Fake {
            calls: Rc::clone(&self.calls),
        }))
    }
}

struct Raced {
    records: Vec<LaneRecord>,
    calls: Vec<String>,
    events: Vec<String>,
}

fn race(functions: &[&str], variants: &[Variant], warmup: usize, runs: usize) -> Raced {
    let exp = with_rust("exp", 10, 100, false, functions);
    let cfg = RaceConfig {
        size: None,
        runs,
        budget: Duration::ZERO,
        warmup,
        timeout: None,
        variants: variants.to_vec(),
        trace: true,
    };
    let lanes = exp.lanes(&cfg.variants);
    let setups = LaneSetup::for_lanes(
        &exp,
        &lanes,
        |v| PathBuf::from(format!("/site/{}", v.name())),
        None,
        &[PathBuf::from("/venv")],
    );
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let sink: Sink = Arc::new(move |e| {
        if let Event::LaneFinished { lane, outcome, .. } = e {
            seen.lock().unwrap().push(format!("{lane}: {outcome:?}"));
        }
    });
    let script = Script {
        calls: Rc::default(),
    };
    let records = run(&exp, &cfg, setups, &sink, &Cancel::new(), &script).unwrap();
    let calls = script.calls.borrow().clone();
    let events = events.lock().unwrap().clone();
    Raced {
        records,
        calls,
        events,
    }
}

#[test]
fn short_runs_are_repeated_to_be_timed() {
    assert_eq!(calibrated(0.5), 1);
    assert_eq!(calibrated(MIN_RUN), 1);
    assert_eq!(calibrated(0.001), 20);
    assert_eq!(calibrated(0.0), MAX_REPEAT);
}

#[test]
fn lanes_are_loaded_first_then_interleaved_run_by_run() {
    let r = race(&["g", "h"], &Variant::defaults(), 1, 2);
    let names: Vec<&str> = r.records.iter().map(|r| r.lane.name.as_str()).collect();
    assert_eq!(
        names,
        ["f", "g (debug)", "g (release)", "h (debug)", "h (release)"]
    );
    assert!(
        r.calls[..5].iter().all(|c| c.starts_with("load")),
        "{:?}",
        r.calls
    );
    let round: Vec<&str> = r.calls[5..10].iter().map(String::as_str).collect();
    assert_eq!(round, ["f x1", "g x1", "g x1", "h x1", "h x1"]);
    assert_eq!(
        r.calls.len(),
        5 + 3 * 5 + 1,
        "one warm-up and two runs each, and one traced run of the Python lane"
    );
    for rec in &r.records {
        assert_eq!(rec.times.len(), 2, "{rec:?}");
        assert!(rec.correct && rec.problem().is_none(), "{rec:?}");
        assert_eq!(
            rec.expected.as_deref(),
            if rec.lane.reference { None } else { Some("42") }
        );
    }
}

#[test]
fn a_too_short_call_is_calibrated_and_the_round_made_again() {
    // No warm-up: the first measured run settles the count and is dropped.
    let r = race(&["fast"], &[Variant::release()], 0, 2);
    let fast = &r.records[1];
    assert_eq!(fast.repeat, 20);
    assert_eq!(fast.times.len(), 2);
    assert_eq!(
        r.records[0].times.len(),
        2,
        "every lane keeps the same count"
    );
    assert!(r.calls.contains(&"fast x20".to_string()), "{:?}", r.calls);
}

#[test]
fn a_failing_lane_stops_alone_and_says_why() {
    let r = race(&["crashes", "wrong", "g"], &[Variant::release()], 0, 2);
    let by_name = |n: &str| r.records.iter().find(|r| r.lane.name == n).unwrap();
    let crashed = by_name("crashes (release)");
    assert!(
        matches!(&crashed.problem().unwrap().kind, ProblemKind::LaneFailed(why) if why.contains("SIGSEGV")),
        "{crashed:?}"
    );
    assert!(crashed.times.is_empty());
    let wrong = by_name("wrong (release)");
    assert_eq!(
        wrong.problem().unwrap().kind,
        ProblemKind::Wrong {
            result: Some("41".into()),
            expected: "42".into(),
            mismatch: Some("41 vs 42".into()),
        },
        "checked against the reference"
    );
    assert_eq!(by_name("g (release)").times.len(), 2, "the others go on");
    assert!(
        r.events.iter().any(|e| e.contains("SIGSEGV")),
        "{:?}",
        r.events
    );
}

#[test]
fn a_python_function_under_rust_is_refused_before_the_race() {
    let r = race(
        &["pure_python", "missing", "g"],
        &[Variant::release()],
        0,
        1,
    );
    let pure = &r.records[1];
    let why = crate::report::problems::describe(&pure.problem().unwrap());
    assert!(
        why.contains("not compiled code")
            && why.contains("[[rust]] #1")
            && why.contains("lab.toml"),
        "{why}"
    );
    let missing = crate::report::problems::describe(&r.records[2].problem().unwrap());
    assert!(missing.contains("[[rust]] #2"), "{missing}");
    assert!(
        !r.calls.iter().any(|c| c.starts_with("pure_python x")),
        "never raced: {:?}",
        r.calls
    );
    assert!(r.records[3].problem().is_none());
}

#[test]
fn the_reference_runs_in_every_build_selection_once() {
    let r = race(&["g"], &[Variant::release()], 0, 1);
    let names: Vec<&str> = r.records.iter().map(|r| r.lane.name.as_str()).collect();
    assert_eq!(
        names,
        ["python", "rust-release"],
        "one a side keeps today's names"
    );
}
