//! The two seams the pipeline runs through, handed to `Lab` from outside:
//! where workers come from (`Launcher`) and how the toolchain is set up and
//! a crate built (`BuildStep`). The lab gets the real ones (processes,
//! maturin); the pipeline's unit tests get scripted ones, as hyperfine's
//! scheduler gets a mock executor.

use std::path::{Path, PathBuf};

use super::bootstrap::{self, Toolchain};
use super::build::Builder;
use super::error::{LabError, LabResult};
use super::event::Sink;
use super::home::Home;
use super::race::{Caller, Spawner};
use super::types::{BuildInfo, Target};
use crate::cancel::Cancel;
use crate::worker::{Worker, WorkerError};

/// Starts a worker with `paths` first on its `sys.path`, killed with `cancel`.
pub trait Launcher: Send + Sync {
    fn launch(&self, paths: &[PathBuf], cancel: &Cancel) -> Result<Box<dyn Caller>, WorkerError>;
}

/// Real worker processes: `pyo3-lab` started again with CPython embedded.
pub struct Processes;

impl Launcher for Processes {
    fn launch(&self, paths: &[PathBuf], cancel: &Cancel) -> Result<Box<dyn Caller>, WorkerError> {
        Ok(Box::new(Worker::spawn(paths, cancel)?))
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
}

/// Sets up the venv and maturin, and builds crates. The lab holds the
/// home's lock around each call.
pub trait BuildStep: Send + Sync {
    fn bootstrap(&self, home: &Home, python: &Path, sink: &Sink) -> LabResult<Toolchain>;
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

/// The real thing: a venv with a pinned maturin, and `maturin build`.
pub struct Maturin;

impl BuildStep for Maturin {
    fn bootstrap(&self, home: &Home, python: &Path, sink: &Sink) -> LabResult<Toolchain> {
        bootstrap::ensure(home, python, sink).map_err(|e| LabError::setup(&e))
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
        Builder {
            home,
            toolchain,
            sink,
            cancel,
        }
        .build(target, force)
    }
}
