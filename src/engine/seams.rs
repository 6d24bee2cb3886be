//! The seams the pipeline runs through. What a step asks of a worker
//! (`Caller`, `Spawner`) and what a lane's worker loads and calls
//! (`LaneSetup`), which the race, the GIL runs, the counts, the check and
//! the thread sweeps all use; and, handed to `Lab` from outside, where
//! workers come from (`Launcher`) and how the toolchain is set up and a
//! crate built (`BuildStep`). The lab gets the real ones (processes,
//! maturin); the pipeline's unit tests get scripted ones, as hyperfine's
//! scheduler gets a mock executor.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::compile::bootstrap::{self, Toolchain};
use super::compile::head_start::HeadStart;
use super::compile::maturin::Builder;
use super::error::{LabError, LabResult};
use super::event::{Event, Sink};
use super::experiment::{Experiment, Implementation};
use super::home::places::Home;
use super::types::{BuildInfo, Target};
use super::types::{Lane, Language, Route, Variant};
use crate::cancel::Cancel;
use crate::fibonacci;
use crate::worker::protocol::{Call, Expect, FailKind, Reply, Request, Tolerance};
use crate::worker::{Finished, Worker, WorkerError};

/// The seam between the race and the processes it runs: real workers in the
/// lab, scripted ones in the tests of calibration, interleaving and failures.
pub trait Caller {
    fn call(
        &mut self,
        request: &Request,
        limit: Option<Duration>,
        on_reply: &mut dyn FnMut(&Reply),
    ) -> Result<Finished, WorkerError>;
}

pub trait Spawner {
    fn spawn(&self, paths: &[PathBuf]) -> Result<Box<dyn Caller>, WorkerError>;

    /// A worker for one lane: the lab's CPython, or the interpreter its
    /// route runs on.
    fn spawn_lane(&self, setup: &LaneSetup) -> Result<Box<dyn Caller>, WorkerError> {
        self.spawn(&setup.paths)
    }
}

impl Caller for Worker {
    fn call(
        &mut self,
        request: &Request,
        limit: Option<Duration>,
        on_reply: &mut dyn FnMut(&Reply),
    ) -> Result<Finished, WorkerError> {
        Worker::call(self, request, limit, on_reply)
    }
}

/// What a lane's worker loads and calls.
#[derive(Clone, Debug)]
pub struct LaneSetup {
    pub lane: Lane,
    pub paths: Vec<PathBuf>,
    /// What it calls, on the default arguments (and through what setup).
    pub call: Call,
    /// The lab.toml key naming it, for messages.
    pub key: String,
    /// The lab.toml key naming its setup function, for messages.
    pub setup_key: String,
    /// A trivial function of the same module, to time one call's overhead.
    pub overhead: Option<String>,
    pub lab_toml: PathBuf,
    /// How closely its results must agree with the reference's.
    pub tolerance: Tolerance,
}

impl LaneSetup {
    /// Where every lane of `exp` finds its code: `site(variant)` is the
    /// unpacked build of a variant; `code_site` the one a package's Python
    /// code is imported from; `packages` the experiment's Python packages,
    /// then the venv's.
    pub fn for_lanes(
        exp: &Experiment,
        lanes: &[Lane],
        site: impl Fn(Variant) -> PathBuf,
        code_site: Option<PathBuf>,
        packages: &[PathBuf],
    ) -> Vec<Self> {
        let reference = exp.reference();
        // Where the reference (and its `setup`) is found: every lane needs it.
        let reference_dir = reference.dir.clone().or_else(|| code_site.clone());
        let scenario_dir = exp.scenario.as_ref().map(|s| s.dir.clone());
        lanes
            .iter()
            .map(|lane| {
                let imp: Option<&Implementation> = exp.implementation(lane);
                let setup = imp.and_then(|_| exp.setup_of(lane));
                let own = match (lane.variant.clone(), imp.and_then(|i| i.dir.clone())) {
                    (Some(v), _) => Some(site(v)),
                    (None, Some(dir)) => Some(dir),
                    (None, None) if lane.language == Language::Python => code_site.clone(),
                    _ => None,
                };
                let mut paths: Vec<PathBuf> = own.into_iter().collect();
                paths.extend(reference_dir.clone());
                paths.extend(scenario_dir.clone());
                paths.extend(exp.setup_file.as_ref().map(|(_, dir)| dir.clone()));
                // The venv's packages are CPython's: PyPy would take its
                // compiled modules for its own.
                if lane.route != Some(Route::Pypy) {
                    paths.extend(packages.iter().cloned());
                }
                paths.dedup();
                let overhead = exp
                    .overhead
                    .as_ref()
                    .and_then(|(py, rs)| match lane.language {
                        Language::Python if lane.reference => Some(py.clone()),
                        Language::Rust => Some(rs.clone()),
                        _ => None,
                    });
                Self {
                    lane: lane.clone(),
                    paths,
                    call: exp.call_of(lane),
                    key: imp.map_or_else(String::new, |i| i.key.clone()),
                    setup_key: setup.map(|(_, key)| key).unwrap_or_default(),
                    overhead,
                    lab_toml: exp.lab_toml(),
                    tolerance: exp.tolerance,
                }
            })
            .collect()
    }

    /// The request that makes `call` (this lane's, on some arguments) once
    /// per repetition, timed, its result checked against `expect` with the
    /// lane's tolerance: the race, the differential check and the
    /// instruction counts all send it.
    pub fn run(
        &self,
        call: Call,
        expect: Option<String>,
        repeat: u32,
        chunks: Option<Vec<u64>>,
    ) -> Request {
        Request::Race {
            call,
            chunks,
            expect: expect.map(Expect::Json),
            tolerance: self.tolerance,
            repeat,
            trace: false,
        }
    }

    pub(crate) fn label(&self) -> String {
        match (self.lane.language, self.lane.variant.as_ref()) {
            (Language::Python, _) => match self.lane.route {
                None => "CPython".into(),
                Some(Route::Cython) => "Cython, compiled C".into(),
                Some(Route::Mypyc) => "mypyc, compiled C".into(),
                Some(Route::Numba) => "Numba, JIT-compiled".into(),
                Some(Route::Pypy) => "PyPy, a tracing JIT".into(),
            },
            (Language::Native, _) => format!(
                "Rust in pyo3-lab, no Python, {}",
                fibonacci::native_profile()
            ),
            (Language::Rust, v) => format!("PyO3, {}", v.map(Variant::profile).unwrap_or_default()),
        }
    }

    /// A name that does not load, or is not what its side says, or a setup
    /// that fails, is a lab.toml mistake: the message names the key.
    pub(crate) fn failure(&self, e: WorkerError) -> String {
        let key = format!("{} in {}", self.key, self.lab_toml.display());
        match e {
            WorkerError::Failed {
                kind: FailKind::Setup,
                message,
            } => format!(
                "could not make its arguments ({message}): check {} in {}",
                self.setup_key,
                self.lab_toml.display()
            ),
            WorkerError::Failed {
                kind: FailKind::Import,
                message,
            } if self.lane.language == Language::Rust => {
                format!("could not load ({message}): check module and {key}")
            }
            WorkerError::Failed {
                kind: FailKind::Import,
                message,
            } => format!("could not load ({message}): check {key}"),
            WorkerError::Failed {
                kind: FailKind::NotCompiled,
                message,
            } => format!(
                "is not compiled code: {message}; {key} must name a #[pyfunction] or #[pyclass] of the extension module"
            ),
            e => e.to_string(),
        }
    }
}

/// Starts a worker with `paths` first on its `sys.path`, killed with `cancel`.
pub trait Launcher: Send + Sync {
    fn launch(&self, paths: &[PathBuf], cancel: &Cancel) -> Result<Box<dyn Caller>, WorkerError>;

    /// The same, run by PyPy: the PyPy route's worker.
    fn launch_pypy(
        &self,
        _paths: &[PathBuf],
        _cancel: &Cancel,
    ) -> Result<Box<dyn Caller>, WorkerError> {
        Err(WorkerError::Broken("this lab runs no PyPy workers".into()))
    }
}

/// Real worker processes: `pyo3-lab` started again with CPython embedded,
/// or the PyPy worker script under `pypy3` (`pypy`: the one `--pypy`
/// named, else the one on PATH).
pub struct Processes {
    pub pypy: Option<PathBuf>,
}

impl Launcher for Processes {
    fn launch(&self, paths: &[PathBuf], cancel: &Cancel) -> Result<Box<dyn Caller>, WorkerError> {
        Ok(Box::new(Worker::spawn(paths, cancel)?))
    }

    fn launch_pypy(
        &self,
        paths: &[PathBuf],
        cancel: &Cancel,
    ) -> Result<Box<dyn Caller>, WorkerError> {
        Ok(Box::new(Worker::spawn_pypy(
            self.pypy.as_deref(),
            paths,
            cancel,
        )?))
    }
}

/// A launcher bound to one job's cancel token: what the steps spawn from.
pub struct Workers<'a> {
    pub launcher: &'a dyn Launcher,
    pub cancel: &'a Cancel,
}

impl Spawner for Workers<'_> {
    fn spawn(&self, paths: &[PathBuf]) -> Result<Box<dyn Caller>, WorkerError> {
        self.launcher.launch(paths, self.cancel)
    }

    fn spawn_lane(&self, setup: &LaneSetup) -> Result<Box<dyn Caller>, WorkerError> {
        match setup.lane.route {
            Some(Route::Pypy) => self.launcher.launch_pypy(&setup.paths, self.cancel),
            _ => self.launcher.launch(&setup.paths, self.cancel),
        }
    }
}

/// Sets up the venv and maturin, and builds crates. The lab holds the
/// home's lock around each call.
pub trait BuildStep: Send + Sync {
    /// `ahead`: the build a new home will want first, to start early.
    fn bootstrap(
        &self,
        home: &Home,
        python: &Path,
        sink: &Sink,
        ahead: Option<&Target>,
    ) -> LabResult<Toolchain>;
    /// What is built already and still current, without building anything.
    fn existing(&self, home: &Home, toolchain: &Toolchain, target: &Target) -> Option<BuildInfo>;
    fn build(
        &self,
        home: &Home,
        toolchain: &Toolchain,
        target: &Target,
        force: bool,
        sink: &Sink,
        cancel: &Cancel,
    ) -> LabResult<BuildInfo>;
}

/// The real thing: a venv with a pinned maturin, and `maturin build`; in a
/// new home, pyo3 compiled for the first release build meanwhile.
#[derive(Default)]
pub struct Maturin {
    ahead: std::sync::Mutex<Option<HeadStart>>,
}

impl BuildStep for Maturin {
    fn bootstrap(
        &self,
        home: &Home,
        python: &Path,
        sink: &Sink,
        ahead: Option<&Target>,
    ) -> LabResult<Toolchain> {
        let mut start = |venv_python: &Path, short: &str| {
            // Without it the build compiles pyo3 itself, as it always could.
            let Some((target, started)) = ahead.and_then(|target| {
                Some((
                    target,
                    HeadStart::start(home, venv_python, short, target).ok()?,
                ))
            }) else {
                return false;
            };
            sink(Event::Status(format!(
                "compiling pyo3 for {}'s {} build meanwhile",
                target.krate,
                target.variant.name()
            )));
            *self.ahead.lock().expect("not poisoned") = Some(started);
            true
        };
        bootstrap::ensure(home, python, sink, &mut start).map_err(LabError::setup)
    }

    fn existing(&self, home: &Home, toolchain: &Toolchain, target: &Target) -> Option<BuildInfo> {
        let (sink, cancel): (Sink, Cancel) = (std::sync::Arc::new(|_| {}), Cancel::new());
        Builder {
            home,
            toolchain,
            sink: &sink,
            cancel: &cancel,
        }
        .existing(target)
    }

    fn build(
        &self,
        home: &Home,
        toolchain: &Toolchain,
        target: &Target,
        force: bool,
        sink: &Sink,
        cancel: &Cancel,
    ) -> LabResult<BuildInfo> {
        let ahead = {
            let mut slot = self.ahead.lock().expect("not poisoned");
            let serves = slot
                .as_ref()
                .is_some_and(|h| h.krate == target.krate && h.variant == target.variant);
            if serves { slot.take() } else { None }
        };
        Builder {
            home,
            toolchain,
            sink,
            cancel,
        }
        .build(target, force, ahead)
    }
}
