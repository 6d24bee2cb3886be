//! What each pane shows: the state the app keeps per pane, changed only by
//! `App` (app.rs) and drawn by the pane's widget (widgets/).

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::threads::ThreadRow;
use crate::engine::types::{
    BuildInfo, GilMode, Lane, LogLine, Scaling, Segment, SweepPoint, Target, Variant, VerifyRecord,
};

#[derive(Clone, Debug, PartialEq)]
pub enum BuildState {
    Unknown,
    NotBuilt,
    Building {
        since: Instant,
        last: Option<BuildInfo>,
    },
    Ready(BuildInfo),
    /// The failure, and the last good build, which stays usable.
    Failed(String, Option<BuildInfo>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LaneState {
    Idle,
    Waiting,
    Running {
        since: Instant,
        fraction: f64,
    },
    Done {
        seconds: f64,
        result: String,
        correct: bool,
    },
    Failed(String),
}

#[derive(Clone, Debug, Default)]
pub struct GilView {
    pub lines: Vec<LogLine>,
    pub running: bool,
    /// Whether the order held, and what it means.
    pub verdict: Option<(bool, String)>,
    /// What each thread did when, once the run is over.
    pub timeline: Vec<Segment>,
}

/// The parallel-scaling experiment on screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ScalingView {
    #[default]
    NotRun,
    /// Running; `done` of `of` rounds of batches measured, once one is.
    Running(Option<(u32, u32)>),
    Done(Scaling),
    Failed(String),
}

/// The builds pane: every target's state and the live log of the last build.
#[derive(Clone, Debug, Default)]
pub struct BuildsPane {
    /// The variant `b` builds and the GIL demo loads.
    pub variant: Variant,
    pub states: BTreeMap<Target, BuildState>,
    pub log: Vec<String>,
    pub log_target: Option<Target>,
    /// Lines scrolled up from the bottom; 0 follows the log.
    pub log_scroll: usize,
}

/// The race pane: which experiment at which size, and every lane's state.
#[derive(Clone, Debug, Default)]
pub struct RacePane {
    /// The experiment and size of the race on screen (the knob may have moved since).
    pub experiment: usize,
    pub size: Option<u64>,
    pub lanes: Vec<(Lane, LaneState)>,
    /// The builds whose Rust lanes race: both, or release alone.
    pub variants: Vec<Variant>,
    /// Whether each race is followed by the differential check.
    pub verifying: bool,
    /// Whether each race's lanes are counted under callgrind too.
    pub counting: bool,
    /// What the last race measured beside time, by lane name: the resident
    /// peak, and instructions per call (or why they could not be counted).
    pub extras: BTreeMap<String, Extras>,
    /// The last differential check, lane by lane.
    pub verify: Vec<VerifyRecord>,
    /// The last thread sweep of the experiment's implementations.
    pub threads: Vec<ThreadRow>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    pub memory: Option<u64>,
    pub instructions: Option<Result<f64, String>>,
}

/// The GIL panes: both orders of the demo, and the scaling run.
#[derive(Clone, Debug, Default)]
pub struct GilPane {
    pub runs: BTreeMap<GilMode, GilView>,
    pub scaling: ScalingView,
}

/// The sweep pane: the sizes asked for, the points measured so far, and
/// which view of them is on screen.
#[derive(Clone, Debug, Default)]
pub struct SweepPane {
    pub experiment: String,
    pub sizes: Vec<u64>,
    pub points: Vec<SweepPoint>,
    pub geometric: bool,
    pub started: Option<Instant>,
    /// Seconds the whole sweep should take, from what is known so far.
    pub estimate: Option<f64>,
    pub running: bool,
    /// Speed-up against size instead of time against size.
    pub show_speedup: bool,
}

/// What the lower half of the screen shows: the GIL demo or the last sweep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lower {
    #[default]
    Gil,
    Sweep,
}
