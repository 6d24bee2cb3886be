//! What the engine tells its front ends (the TUI, `--check`) while it works.
//! The engine knows nothing of how they show it.

use std::sync::Arc;

use super::build::{BuildInfo, Target};
use super::gil::{GilMode, LogLine};
use super::race::{Lane, RunOutcome};

#[derive(Clone, Debug)]
pub enum Event {
    /// A set-up step (venv, maturin): a short line for a status bar.
    Status(String),
    BuildStarted(Target),
    BuildLine(Target, String),
    /// The build finished, was skipped as up to date (`fresh`), or failed.
    BuildFinished(Target, Result<BuildInfo, String>),
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
        warmup: bool,
        outcome: RunOutcome,
    },
    GilStarted(GilMode),
    GilLine(GilMode, LogLine),
}

/// Where events go: a closure, so each front end decides (a channel, a printer).
pub type Sink = Arc<dyn Fn(Event) + Send + Sync>;
