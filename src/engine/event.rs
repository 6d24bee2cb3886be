//! What the engine tells its front ends (the TUI, `--check`, `bench`) while
//! it works. The engine knows nothing of how they show it.

use std::sync::Arc;

use super::error::LabError;
use super::experiment::Experiment;
use super::types::{
    BuildInfo, GilMode, GilRun, Instructions, Lane, LogLine, RunOutcome, Scaling, SweepPoint,
    Target, VerifyRecord,
};

#[derive(Clone, Debug)]
pub enum Event {
    /// A set-up step (venv, maturin): a short line for a status bar.
    Status(String),
    BuildStarted(Target),
    BuildLine(Target, String),
    /// A file changed while cargo read the sources: the module is of
    /// neither version, so it is built again. Says which file.
    BuildRestarted(Target, String),
    /// Another pyo3-lab holds the home's lock (it builds or sets up): this
    /// one waits for it, and says so.
    Waiting(String),
    /// The build finished, was skipped as up to date (`fresh`), or failed.
    BuildFinished(Target, Result<BuildInfo, LabError>),
    /// A line of a route lane's build (Cython, mypyc), by its lane's label.
    RouteLine(String, String),
    /// A route lane's module is built, or was there already (`fresh`).
    RouteBuilt(String, crate::engine::types::RouteBuild),
    /// The lanes a race is about to run, in the order it shows them, and the
    /// size of the knob it runs at.
    RaceStarted {
        size: Option<u64>,
        lanes: Vec<Lane>,
    },
    LaneStarted {
        lane: Lane,
    },
    LaneProgress {
        lane: Lane,
        fraction: f64,
    },
    LaneFinished {
        lane: Lane,
        run: usize,
        /// Not one of the measured runs: a warm-up, or the run that only
        /// settled how many calls a run makes.
        warmup: bool,
        outcome: RunOutcome,
    },
    GilStarted(GilMode),
    GilLine(GilMode, LogLine),
    GilDone(GilRun),
    ScalingStarted,
    /// `done` of `of` rounds of the scaling batches are measured.
    ScalingProgress {
        done: u32,
        of: u32,
    },
    ScalingDone(Result<Scaling, LabError>),
    /// A lane's calls are being counted under callgrind.
    Counting(Lane),
    /// A lane's instructions per call, or why they could not be counted.
    Counted(Lane, Result<Box<Instructions>, super::error::CountError>),
    /// An experiment's lab.toml was read again and changed.
    ExperimentLoaded(Box<Experiment>),
    /// One size of a sweep is measured.
    SweepPoint(SweepPoint),
    /// A lane's differential check is done.
    Verified(VerifyRecord),
}

/// Where events go: a closure, so each front end decides (a channel, a printer).
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;
