//! What each pane shows: the state the app keeps per pane, and how each
//! pane takes the engine's events that are its own (`on_engine`). `App`
//! (app.rs) hands them over; the pane's widget (widgets/) draws it.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::event::Event;
use crate::engine::measure::sweep;
use crate::engine::measure::threads::ThreadRow;
use crate::engine::types::{
    Breakdown, BuildInfo, GilMode, Lane, LogLine, PhaseTimes, RunOutcome, Scaling, Segment,
    SweepPoint, Target, Variant, VerifyRecord,
};

/// Lines of build log kept; older ones scroll away.
const LOG_LIMIT: usize = 5000;

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
    /// The lab home's size, as the last set-up or build left it.
    pub home_bytes: Option<u64>,
}

/// The race pane: which experiment at which size, and every lane's state.
#[derive(Clone, Debug, Default)]
pub struct RacePane {
    /// The experiment and size of the race on screen (the knob may have moved since).
    pub experiment: usize,
    pub size: Option<u64>,
    pub lanes: Vec<(Lane, LaneState)>,
    /// Debug builds left out of the race (`d`): each experiment's own
    /// variants race, but for these.
    pub no_debug: bool,
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
    /// Every measured run of each lane at this size, race after race (`r`
    /// again adds runs), until the size or a build changes.
    pub samples: BTreeMap<String, Vec<f64>>,
    /// A scenario's phases of each lane, each with its measured runs, kept
    /// as `samples` is.
    pub phases: BTreeMap<String, Vec<PhaseTimes>>,
    /// Lanes `d` took off the screen, with their results, for when it
    /// brings them back.
    pub set_aside: Vec<(Lane, LaneState)>,
}

/// A lane's instruction count as its row shows it: why one failed is the
/// problem list's to say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Count {
    PerCall(f64),
    Failed,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    pub memory: Option<u64>,
    /// Another route's cost beside its speed: its module's build ("built
    /// 3.0 s, 200 KiB"), or its JIT's first call ("1st call 309 ms").
    pub cost: Option<String>,
    pub instructions: Option<Count>,
    /// Where the instructions go, and what that means (the "why" pane).
    pub breakdown: Option<Breakdown>,
    pub diagnosis: Option<String>,
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

/// The program view: what `pyo3-lab profile` and `swap` left in the
/// selected experiment's project, and a swap under way.
#[derive(Clone, Debug, Default)]
pub struct ProgramPane {
    /// The project whose `.pyo3-lab/` it shows.
    pub dir: Option<std::path::PathBuf>,
    pub profile: Option<crate::program::profile::Profile>,
    pub swap: Option<crate::program::swap::Report>,
    /// The function Enter acts on.
    pub selected: usize,
    /// A swap running: since when, and what it last said.
    pub swapping: Option<(Instant, String)>,
}

impl ProgramPane {
    /// What the project in `dir` holds of its program.
    pub fn load(dir: &std::path::Path) -> Self {
        let state = dir.join(crate::program::STATE);
        Self {
            dir: Some(dir.to_path_buf()),
            profile: crate::program::profile::Profile::read(&state),
            swap: crate::program::swap::Report::read(&state),
            selected: 0,
            swapping: None,
        }
    }
}

/// The main view: one job's pane gets the screen, the others wait behind
/// their tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Race,
    Builds,
    Sweep,
    Gil,
    /// Where each lane's instructions go.
    Why,
    /// The program around the function: its profile and its swap.
    Program,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Race,
        View::Builds,
        View::Sweep,
        View::Gil,
        View::Why,
        View::Program,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Race => "Race",
            View::Builds => "Builds",
            View::Sweep => "Sweep",
            View::Gil => "GIL",
            View::Why => "Why",
            View::Program => "Program",
        }
    }

    /// The next tab, or the one before.
    pub fn next(self, forward: bool) -> View {
        let i = View::ALL.iter().position(|&v| v == self).unwrap_or(0);
        let n = View::ALL.len();
        View::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

impl BuildsPane {
    pub fn on_engine(&mut self, event: Event) {
        match event {
            // A counted twin is never raced or picked: its log shows, its row does not.
            Event::BuildStarted(t) | Event::BuildFinished(t, _) if t.counted => {}
            Event::BuildStarted(t) => {
                let last = self.last_good(&t);
                let since = Instant::now();
                self.states.insert(t, BuildState::Building { since, last });
            }
            Event::BuildLine(t, line) => {
                if self.log_target.as_ref() != Some(&t) {
                    self.log.clear();
                    self.log_scroll = 0;
                    self.log_target = Some(t);
                }
                if self.log.len() == LOG_LIMIT {
                    self.log.remove(0);
                }
                self.log.push(line);
            }
            Event::BuildFinished(t, result) => {
                let state = match result {
                    Ok(info) => BuildState::Ready(info),
                    Err(e) => BuildState::Failed(e.to_string(), self.last_good(&t)),
                };
                self.states.insert(t, state);
            }
            _ => {}
        }
    }

    /// A build that stays usable while a rebuild of it runs or after one fails.
    pub fn last_good(&self, target: &Target) -> Option<BuildInfo> {
        match self.states.get(target) {
            Some(BuildState::Ready(info)) => Some(info.clone()),
            Some(BuildState::Failed(_, last) | BuildState::Building { last, .. }) => last.clone(),
            _ => None,
        }
    }
}

impl RacePane {
    pub fn on_engine(&mut self, event: Event) {
        match event {
            Event::Verified(record) => self.verify.push(record),
            Event::Counting(lane) => {
                self.extras.entry(lane.name).or_default().instructions = None;
            }
            Event::Counted(lane, result) => {
                let extras = self.extras.entry(lane.name).or_default();
                if let Ok(i) = &result {
                    extras.breakdown = i.breakdown.clone();
                    extras.diagnosis = i.diagnosis.clone();
                }
                extras.instructions = Some(match result {
                    Ok(i) => Count::PerCall(i.per_call),
                    Err(_) => Count::Failed,
                });
            }
            // The engine decides the lanes once the builds are known.
            Event::RaceStarted { lanes, size } => self.started(lanes, size),
            Event::LaneStarted { lane, .. } => {
                let since = Instant::now();
                self.set_lane(
                    &lane,
                    LaneState::Running {
                        since,
                        fraction: 0.0,
                    },
                );
            }
            Event::LaneProgress { lane, fraction } => {
                if let Some((_, LaneState::Running { fraction: f, .. })) =
                    self.lanes.iter_mut().find(|(l, _)| *l == lane)
                {
                    *f = fraction;
                }
            }
            Event::LaneFinished {
                lane,
                outcome,
                warmup,
                ..
            } => self.finished(&lane, outcome, warmup),
            _ => {}
        }
    }

    /// A race begins: its lanes wait. A sweep races one size after another:
    /// the pane says which, and a new size's runs are not the old one's.
    fn started(&mut self, lanes: Vec<Lane>, size: Option<u64>) {
        if size.is_some() {
            if size != self.size {
                self.forget_samples();
            }
            self.size = size;
        }
        self.verify.clear();
        // A route's build cost stays: its module was made just before.
        self.extras.retain(|_, e| e.cost.is_some());
        for e in self.extras.values_mut() {
            *e = Extras {
                cost: e.cost.take(),
                ..Extras::default()
            };
        }
        self.set_aside.clear();
        self.lanes = lanes.into_iter().map(|l| (l, LaneState::Waiting)).collect();
    }

    /// A lane's run ended: a measured one's time (and phases) is kept, and
    /// the lane shows its result or why it failed.
    fn finished(&mut self, lane: &Lane, outcome: RunOutcome, warmup: bool) {
        if let (
            false,
            RunOutcome::Done {
                seconds, phases, ..
            },
        ) = (warmup, &outcome)
        {
            let samples = self.samples.entry(lane.name.clone()).or_default();
            let kept = self.phases.entry(lane.name.clone()).or_default();
            PhaseTimes::add_run(kept, samples.len(), phases);
            samples.push(*seconds);
        }
        let state = match outcome {
            RunOutcome::Done {
                seconds,
                result,
                correct,
                ..
            } => LaneState::Done {
                seconds,
                result,
                correct,
            },
            RunOutcome::Failed(why) => LaneState::Failed(why),
        };
        self.set_lane(lane, state);
    }

    /// Forgets every lane's measured runs: they were of other code or size.
    pub fn forget_samples(&mut self) {
        self.samples.clear();
        self.phases.clear();
    }

    fn set_lane(&mut self, lane: &Lane, state: LaneState) {
        if let Some((_, s)) = self.lanes.iter_mut().find(|(l, _)| l == lane) {
            *s = state;
        }
    }
}

impl GilPane {
    pub fn on_engine(&mut self, event: Event) {
        match event {
            Event::GilStarted(mode) => {
                *self.runs.entry(mode).or_default() = GilView {
                    running: true,
                    ..GilView::default()
                };
            }
            Event::GilLine(mode, line) => self.runs.entry(mode).or_default().lines.push(line),
            Event::GilDone(run) => {
                let view = self.runs.entry(run.mode).or_default();
                view.running = false;
                view.verdict = Some((run.ok, run.verdict));
                view.timeline = run.timeline;
            }
            Event::ScalingStarted => self.scaling = ScalingView::Running(None),
            Event::ScalingProgress { done, of } => {
                self.scaling = ScalingView::Running(Some((done, of)))
            }
            Event::ScalingDone(result) => {
                self.scaling = match result {
                    Ok(s) => ScalingView::Done(s),
                    Err(e) => ScalingView::Failed(e.to_string()),
                };
            }
            _ => {}
        }
    }
}

impl SweepPane {
    /// A size measured: its point, and a new estimate of the whole sweep.
    pub fn add(&mut self, point: SweepPoint) {
        self.points.push(point);
        self.estimate = self.estimate();
    }

    /// After some points: the time so far plus the rest, extrapolated from
    /// the measured points' growth.
    fn estimate(&self) -> Option<f64> {
        let elapsed = self.started?.elapsed().as_secs_f64();
        let measured: Vec<(u64, f64)> = self
            .points
            .iter()
            .map(|p| {
                let t: f64 = p
                    .records
                    .iter()
                    .flat_map(|r| r.times.iter().map(move |t| t * r.repeat as f64))
                    .sum();
                (p.size, t)
            })
            .collect();
        let &(last_n, last_t) = measured.last()?;
        let rest: f64 = self.sizes[self.points.len().min(self.sizes.len())..]
            .iter()
            .map(|&n| match sweep::growth(&measured, self.geometric) {
                Some(sweep::Growth::Exponential {
                    factor_per_step, ..
                }) => last_t * factor_per_step.powf(n as f64 - last_n as f64),
                Some(sweep::Growth::Power { exponent, .. }) => {
                    last_t * (n as f64 / last_n.max(1) as f64).powf(exponent)
                }
                None => last_t,
            })
            .sum();
        Some(elapsed + rest)
    }
}
