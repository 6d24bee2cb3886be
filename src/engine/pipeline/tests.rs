//! The pipeline with fake workers and a fake build step: keep going after a
//! failed build or lane, a sweep that fails at one size, and a cancel at
//! every step. Milliseconds, no interpreter, no compiler.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::engine::home::places::{Home, Project};
use crate::engine::measure::verify::VerifyConfig;
use crate::engine::seams::Caller;
use crate::engine::seams::{BuildStep, Launcher};
use crate::engine::types::BuildInfo;
use crate::worker::protocol::{Reply, Request};
use crate::worker::{Finished, WorkerError};

/// Where a test asks the fakes to cancel the job.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CancelAt {
    Never,
    Build,
    /// At the k-th call made to any worker (1-based).
    Call(usize),
}

/// What the fakes were told, and what they saw.
struct Script {
    /// Builds of this variant fail with a compiler error.
    failing_build: Option<Variant>,
    /// The experiment's Python packages cannot be installed.
    no_packages: bool,
    /// This Rust function crashes at this size (None: at every size).
    crashes: Option<(&'static str, Option<u64>)>,
    cancel_at: CancelAt,
    calls: AtomicUsize,
    log: Mutex<Vec<String>>,
}

impl Script {
    fn new() -> Self {
        Self {
            failing_build: None,
            no_packages: false,
            crashes: None,
            cancel_at: CancelAt::Never,
            calls: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }
}

struct FakeWorker {
    script: Arc<Script>,
    cancel: Cancel,
}

impl Caller for FakeWorker {
    fn call(
        &mut self,
        request: &Request,
        _limit: Option<Duration>,
        on_reply: &mut dyn FnMut(&Reply),
    ) -> Result<Finished, WorkerError> {
        let k = self.script.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.script.cancel_at == CancelAt::Call(k) {
            self.cancel.cancel();
            return Err(WorkerError::Cancelled);
        }
        match request {
            Request::Race { call, expect, .. } => {
                let function = call.code().map_or("fib", |c| c.name.as_str());
                let args = serde_json::to_string(&call.args).unwrap();
                self.script
                    .log
                    .lock()
                    .unwrap()
                    .push(format!("{function} {args}"));
                let size: Option<u64> = call.args.first().and_then(|a| a.as_u64());
                if let Some((f, at)) = self.script.crashes
                    && f == function
                    && at.is_none_or(|n| Some(n) == size)
                {
                    return Err(WorkerError::Crashed {
                        how: "signal 11, SIGSEGV".into(),
                        why: String::new(),
                    });
                }
                on_reply(&Reply::Progress { done: 1 });
                let seconds = if function == "f" { 0.5 } else { 0.05 };
                Ok(Finished::scripted(seconds, "42", expect))
            }
            Request::Threads { counts, .. } => {
                let rows: Vec<crate::engine::measure::threads::Rounds> = counts
                    .iter()
                    .map(|&t| (t, vec![0.02], vec![0.02], vec![1.0]))
                    .collect();
                Ok(Finished {
                    json: Some(serde_json::to_string(&rows).unwrap()),
                    ..Finished::scripted(0.02, "42", &None)
                })
            }
            _ => Ok(Finished::scripted(1e-7, "None", &None)),
        }
    }
}

struct FakeLauncher(Arc<Script>);

impl Launcher for FakeLauncher {
    fn launch(&self, _paths: &[PathBuf], cancel: &Cancel) -> Result<Box<dyn Caller>, WorkerError> {
        Ok(Box::new(FakeWorker {
            script: Arc::clone(&self.0),
            cancel: cancel.clone(),
        }))
    }
}

struct FakeBuilder(Arc<Script>);

fn toolchain() -> Toolchain {
    Toolchain {
        python_version: "3.11.7".into(),
        venv_python: "/fake/venv/bin/python".into(),
        site_packages: "/fake/venv/site-packages".into(),
        maturin: "/fake/venv/bin/maturin".into(),
        maturin_version: "1.16.0".into(),
    }
}

impl BuildStep for FakeBuilder {
    fn bootstrap(
        &self,
        _: &Home,
        _: &Path,
        _: &super::super::event::Sink,
        _: Option<&Target>,
    ) -> LabResult<Toolchain> {
        Ok(toolchain())
    }

    fn existing(&self, _: &Home, _: &Toolchain, _: &Target) -> Option<BuildInfo> {
        None
    }

    fn build(
        &self,
        _: &Home,
        _: &Toolchain,
        target: &Target,
        _force: bool,
        _: &super::super::event::Sink,
        cancel: &Cancel,
    ) -> LabResult<BuildInfo> {
        if self.0.cancel_at == CancelAt::Build {
            cancel.cancel();
            return Err(LabError::Cancelled);
        }
        if self.0.no_packages {
            return Err(LabError::Packages(
                "pip could not install numpy>=99 (No matching distribution found for numpy>=99)"
                    .into(),
            ));
        }
        if self.0.failing_build.as_ref() == Some(&target.variant) {
            return Err(LabError::Build("error[E0308]: mismatched types".into()));
        }
        Ok(BuildInfo {
            inputs: "fake".into(),
            crate_dir: None,
            seconds: 0.1,
            wheel_bytes: 1,
            module: "/fake/module.so".into(),
            module_bytes: 1,
            line_table_bytes: 0,
            module_sha256: "0".into(),
            fresh: false,
            clean: None,
            pyo3: None,
            packages: Vec::new(),
        })
    }
}

/// An experiment on disk (the pipeline reads lab.toml again before a race)
/// with a Python reference `f` and the given Rust functions.
fn experiment_dir(root: &Path, rust: &[&str]) -> PathBuf {
    let dir = root.join("exp");
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["Cargo.toml", "pyproject.toml"] {
        std::fs::write(dir.join(file), "").unwrap();
    }
    std::fs::write(dir.join("reference.py"), "def f(n):\n    return 42\n").unwrap();
    let mut toml = String::from(
        "name = \"exp\"\ndescription = \"a fake\"\nmodule = \"exp\"\n\n\
         [python]\nfile = \"reference.py\"\nfunction = \"f\"\n\n",
    );
    for f in rust {
        toml.push_str(&format!("[[rust]]\nfunction = \"{f}\"\n\n"));
    }
    toml.push_str("[input]\nargs = [10]\nsize = 0\nmin = 1\nmax = 100\n");
    std::fs::write(dir.join("lab.toml"), toml).unwrap();
    dir
}

struct Bench {
    lab: Lab,
    script: Arc<Script>,
    _root: tempfile::TempDir,
}

fn bench(rust: &[&str], script: Script) -> Bench {
    let root = tempfile::tempdir().unwrap();
    let dir = experiment_dir(root.path(), rust);
    let script = Arc::new(script);
    let home = Home::open(&root.path().join("home")).unwrap();
    let project = Project::locate(Some(Path::new(env!("CARGO_MANIFEST_DIR"))), &home).unwrap();
    let seams: (Arc<dyn Launcher>, Arc<dyn BuildStep>) = (
        Arc::new(FakeLauncher(Arc::clone(&script))),
        Arc::new(FakeBuilder(Arc::clone(&script))),
    );
    let (lab, errors) = Lab::with_seams(
        home,
        project,
        "/fake/python3".into(),
        Arc::new(|_| {}),
        &[dir],
        seams,
    );
    assert!(errors.is_empty(), "{errors:?}");
    Bench {
        lab,
        script,
        _root: root,
    }
}

fn race(keep_going: bool) -> RaceJob {
    RaceJob {
        keep_going,
        ..RaceJob::quick("exp", None, None)
    }
}

fn lanes(report: &JobReport) -> Vec<String> {
    report
        .race
        .iter()
        .flatten()
        .map(|r| r.lane.name.clone())
        .collect()
}

#[test]
fn a_failed_build_leaves_its_lanes_out_and_the_others_race_when_keeping_going() {
    let b = bench(
        &["good"],
        Script {
            failing_build: Some(Variant::debug()),
            ..Script::new()
        },
    );
    let report = b.lab.run(&Job::Race(race(true)), &Cancel::new()).unwrap();
    assert_eq!(lanes(&report), ["python", "rust-release"]);
    assert!(
        report.problems.iter().any(
            |p| matches!(&p.kind, ProblemKind::Build { error, .. } if error.contains("E0308"))
        ),
        "{:?}",
        report.problems
    );
    assert!(report.race.iter().flatten().all(|r| r.correct));

    // The terminal's race stops instead: the last numbers stay on screen.
    let report = b.lab.run(&Job::Race(race(false)), &Cancel::new()).unwrap();
    assert!(report.race.is_none(), "{:?}", lanes(&report));
}

#[test]
fn without_its_python_packages_an_experiment_does_not_race_and_says_so_once() {
    let b = bench(
        &["good"],
        Script {
            no_packages: true,
            ..Script::new()
        },
    );
    let report = b.lab.run(&Job::Race(race(true)), &Cancel::new()).unwrap();
    assert!(
        report.race.is_none(),
        "not even the Python lane: {:?}",
        lanes(&report)
    );
    let said: Vec<&ProblemKind> = report.problems.iter().map(|p| &p.kind).collect();
    assert!(
        matches!(said.as_slice(), [ProblemKind::Packages(why)] if why.contains("numpy>=99")),
        "one problem for two builds: {said:?}"
    );
}

#[test]
fn a_lane_that_crashes_is_named_and_the_other_lanes_still_race() {
    let b = bench(
        &["good", "crashes"],
        Script {
            crashes: Some(("crashes", None)),
            ..Script::new()
        },
    );
    let report = b.lab.run(&Job::Race(race(true)), &Cancel::new()).unwrap();
    let records = report.race.as_ref().unwrap();
    let failed: Vec<&str> = records
        .iter()
        .filter(|r| r.failure.is_some())
        .map(|r| r.lane.name.as_str())
        .collect();
    assert_eq!(failed, ["crashes (debug)", "crashes (release)"]);
    for good in ["f", "good (debug)", "good (release)"] {
        let r = records.iter().find(|r| r.lane.name == good).unwrap();
        assert!(r.correct && !r.times.is_empty(), "{r:?}");
    }
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.lane.as_deref() == Some("crashes (release)")
                && matches!(p.kind, ProblemKind::LaneFailed(_))),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_sweep_that_fails_at_one_size_marks_it_there_and_goes_on() {
    let b = bench(
        &["flaky"],
        Script {
            crashes: Some(("flaky", Some(20))),
            ..Script::new()
        },
    );
    let job = Job::Sweep {
        race: race(true),
        sizes: vec![10, 20, 30],
    };
    let mut seen = Vec::new();
    let report = b
        .lab
        .run_observed(&job, &Cancel::new(), &mut |r| seen.push(r.sweep.len()))
        .unwrap();
    assert_eq!(seen, [1, 2, 3], "the report is shown after every size");
    let sizes: Vec<u64> = report.sweep.iter().map(|p| p.size).collect();
    assert_eq!(sizes, [10, 20, 30]);
    let failed_at = |size: u64| {
        report
            .sweep
            .iter()
            .find(|p| p.size == size)
            .unwrap()
            .records
            .iter()
            .any(|r| r.failure.is_some())
    };
    assert!(!failed_at(10) && failed_at(20) && !failed_at(30));
    assert!(
        report.problems.iter().all(|p| p.size == Some(20)),
        "{:?}",
        report.problems
    );
    assert!(!report.problems.is_empty());
}

#[test]
fn a_cancel_at_any_step_ends_the_job_as_cancelled() {
    // The number of worker calls a whole sweep with verify and threads makes.
    let job = Job::Sweep {
        race: RaceJob {
            threads: Some(vec![1, 2]),
            verify: Some(VerifyConfig::new(3, Some(1))),
            ..race(true)
        },
        sizes: vec![10, 20],
    };
    let whole = bench(&["good"], Script::new());
    whole.lab.run(&job, &Cancel::new()).unwrap();
    let calls = whole.script.calls.load(Ordering::SeqCst);
    assert!(calls > 20, "{calls}");

    let mut steps = vec![CancelAt::Build];
    steps.extend((1..=calls).map(CancelAt::Call));
    for at in steps {
        let b = bench(
            &["good"],
            Script {
                cancel_at: at,
                ..Script::new()
            },
        );
        match b.lab.run(&job, &Cancel::new()) {
            Err(LabError::Cancelled) => {}
            other => panic!("cancelled at {at:?}: {:?}", other.map(|r| r.problems)),
        }
        let after = b.script.calls.load(Ordering::SeqCst);
        if let CancelAt::Call(k) = at {
            assert_eq!(after, k, "no worker is called after the cancel at {at:?}");
        }
    }
}
