//! The lab's state as the screen shows it, and the one place it changes:
//! key actions and engine events come in, effects for the runner go out.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::bootstrap::Toolchain;
use crate::engine::build::{BuildInfo, Target, Variant};
use crate::engine::event::Event;
use crate::engine::experiment::{Experiment, Knob, Split};
use crate::engine::gil::{GilMode, GilRun, LogLine};
use crate::engine::race::{Lane, RunOutcome, fib};
use crate::engine::scaling::Scaling;
use crate::engine::timeline::Segment;

use super::keys::Action;

/// Lines of build log kept; older ones scroll away.
const LOG_LIMIT: usize = 5000;

/// Work the runner does in the background, one job at a time.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// Set up the venv and learn which builds are up to date.
    Setup,
    /// Build every crate in one variant, or in both (None).
    Build(Option<Variant>),
    Race {
        experiment: String,
        size: Option<u64>,
    },
    Gil {
        variant: Variant,
    },
}

impl Job {
    pub fn describe(&self) -> String {
        match self {
            Job::Setup => "set-up".into(),
            Job::Build(Some(v)) => format!("{} build", v.name()),
            Job::Build(None) => "build of everything".into(),
            Job::Race {
                experiment,
                size: Some(n),
            } => format!("race of {experiment} (N = {n})"),
            Job::Race { experiment, .. } => format!("race of {experiment}"),
            Job::Gil { .. } => "GIL demo".into(),
        }
    }
}

/// What the screen needs of an experiment, and its knob's current value.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpView {
    pub key: String,
    pub name: String,
    pub description: String,
    pub knob: Option<Knob>,
    pub size: Option<u64>,
    pub fibonacci: bool,
}

impl ExpView {
    pub fn new(exp: &Experiment) -> Self {
        Self {
            key: exp.key.clone(),
            name: exp.name.clone(),
            description: exp.description.clone(),
            size: exp.knob.as_ref().map(|k| k.default),
            knob: exp.knob.clone(),
            fibonacci: exp.split == Some(Split::Fibonacci),
        }
    }

    /// The knob one step up or down: by one on a small range, else doubling.
    fn stepped(&self, up: bool) -> Option<u64> {
        let (knob, n) = (self.knob.as_ref()?, self.size?);
        let fine = knob.max.saturating_sub(knob.min) <= 200;
        let next = match (up, fine) {
            (true, true) => n.checked_add(1)?,
            (false, true) => n.checked_sub(1)?,
            (true, false) => n.saturating_mul(2).max(1),
            (false, false) => n / 2,
        };
        let clamped = next.clamp(knob.min, knob.max);
        (clamped != n).then_some(clamped)
    }

    /// The exact answer the lab can show before a race: fib(N).
    pub fn known_answer(&self, size: Option<u64>) -> Option<String> {
        (self.fibonacci)
            .then(|| size.map(|n| fib(n).to_string()))
            .flatten()
    }
}

/// What the runner must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Start(Job),
    Cancel,
    Quit,
}

/// Everything the runner reports, the engine's events among it.
#[derive(Clone, Debug)]
pub enum AppEvent {
    Engine(Event),
    Toolchain(Toolchain),
    /// What set-up found of a build: intact and current, or not there.
    BuildKnown(Target, Option<BuildInfo>),
    GilDone(GilRun),
    ScalingStarted,
    ScalingDone(Result<Scaling, String>),
    JobDone(Result<(), String>),
}

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
    Running,
    Done(Scaling),
    Failed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

pub struct App {
    pub experiments: Vec<ExpView>,
    /// The experiment the knob and `r` apply to.
    pub selected: usize,
    /// The experiment and size of the race on screen (the knob may have moved since).
    pub race_exp: usize,
    pub race_size: Option<u64>,
    pub variant: Variant,
    pub toolchain: Option<Toolchain>,
    pub setup_status: String,
    pub builds: BTreeMap<Target, BuildState>,
    pub log: Vec<String>,
    pub log_target: Option<Target>,
    /// Lines scrolled up from the bottom; 0 follows the log.
    pub log_scroll: usize,
    pub lanes: Vec<(Lane, LaneState)>,
    pub gil: BTreeMap<GilMode, GilView>,
    pub scaling: ScalingView,
    pub running: Option<(Job, Instant)>,
    pub pending: Option<Job>,
    pub message: Option<(Level, String)>,
    pub show_help: bool,
    pub quit: bool,
}

impl App {
    pub fn new(experiments: &[Experiment], targets: Vec<Target>) -> Self {
        let experiments: Vec<ExpView> = experiments.iter().map(ExpView::new).collect();
        let race_size = experiments.first().and_then(|e| e.size);
        let mut app = Self {
            experiments,
            selected: 0,
            race_exp: 0,
            race_size,
            variant: Variant::Release,
            toolchain: None,
            setup_status: "starting".into(),
            builds: targets
                .into_iter()
                .map(|t| (t, BuildState::Unknown))
                .collect(),
            log: Vec::new(),
            log_target: None,
            log_scroll: 0,
            lanes: Vec::new(),
            gil: [GilMode::Held, GilMode::Released]
                .map(|m| (m, GilView::default()))
                .into_iter()
                .collect(),
            scaling: ScalingView::NotRun,
            running: None,
            pending: None,
            message: None,
            show_help: false,
            quit: false,
        };
        app.lanes = app.lanes_of(0, LaneState::Idle);
        app
    }

    /// Sets the first experiment's knob (from `--n`), within its bounds.
    pub fn set_size(&mut self, n: Option<u64>) -> Result<(), String> {
        let (Some(n), Some(exp)) = (n, self.experiments.first_mut()) else {
            return Ok(());
        };
        match &exp.knob {
            Some(k) if (k.min..=k.max).contains(&n) => {
                exp.size = Some(n);
                self.race_size = Some(n);
                Ok(())
            }
            Some(k) => Err(format!(
                "N = {n} is outside {}..={} for {}",
                k.min, k.max, exp.name
            )),
            None => Err(format!("{} has no size knob", exp.name)),
        }
    }

    pub fn current(&self) -> Option<&ExpView> {
        self.experiments.get(self.selected)
    }

    /// The experiment whose race is on screen.
    pub fn raced(&self) -> Option<&ExpView> {
        self.experiments.get(self.race_exp)
    }
}

impl App {
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
    }

    /// The answer the race on screen must give, when the lab knows it.
    pub fn expected(&self) -> Option<String> {
        self.raced()?.known_answer(self.race_size)
    }

    pub fn on_action(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Build => self.request(Job::Build(Some(self.variant))),
            Action::BuildAll => self.request(Job::Build(None)),
            Action::ToggleVariant => {
                self.variant = self.variant.toggled();
                None
            }
            Action::NextExperiment => {
                if !self.experiments.is_empty() {
                    self.selected = (self.selected + 1) % self.experiments.len();
                    if !self.is_busy() {
                        self.show_selected();
                    }
                }
                None
            }
            Action::Race => {
                let exp = self.current()?;
                let job = Job::Race {
                    experiment: exp.key.clone(),
                    size: exp.size,
                };
                self.request(job)
            }
            Action::Gil => self.request(Job::Gil {
                variant: self.variant,
            }),
            Action::NUp | Action::NDown => {
                let exp = self.experiments.get_mut(self.selected)?;
                match exp.stepped(action == Action::NUp) {
                    Some(n) => exp.size = Some(n),
                    None => {
                        let text = match &exp.knob {
                            Some(k) => format!(
                                "N stays within {}..={} for {} (its lab.toml's min and max)",
                                k.min, k.max, exp.name
                            ),
                            None => format!("{} has no size knob", exp.name),
                        };
                        self.inform(Level::Info, text);
                    }
                }
                None
            }
            Action::ScrollUp => {
                self.log_scroll = (self.log_scroll + 10).min(self.log.len().saturating_sub(1));
                None
            }
            Action::ScrollDown => {
                self.log_scroll = self.log_scroll.saturating_sub(10);
                None
            }
            Action::Cancel => {
                self.show_help = false;
                let running = self.running.as_ref()?;
                self.pending = None;
                self.inform(
                    Level::Info,
                    format!("cancelling the {}", running.0.describe()),
                );
                Some(Effect::Cancel)
            }
            Action::Help => {
                self.show_help = !self.show_help;
                None
            }
            Action::Quit => {
                self.quit = true;
                Some(Effect::Quit)
            }
        }
    }

    /// One job at a time: the same job twice is ignored, another one waits
    /// (a newer request replaces a waiting one).
    pub fn request(&mut self, job: Job) -> Option<Effect> {
        match &self.running {
            None => {
                self.begin(job.clone());
                Some(Effect::Start(job))
            }
            Some((current, _)) if *current == job => {
                self.inform(
                    Level::Info,
                    format!("the {} is already running", job.describe()),
                );
                None
            }
            Some((current, _)) => {
                self.inform(
                    Level::Info,
                    format!(
                        "{} queued: it starts when the {} ends (Esc cancels both)",
                        job.describe(),
                        current.describe()
                    ),
                );
                self.pending = Some(job);
                None
            }
        }
    }

    fn begin(&mut self, job: Job) {
        match &job {
            Job::Race { experiment, size } => {
                self.race_exp = self
                    .experiments
                    .iter()
                    .position(|e| &e.key == experiment)
                    .unwrap_or(0);
                self.race_size = *size;
                self.lanes = self.lanes_of(self.race_exp, LaneState::Waiting);
            }
            Job::Gil { .. } => {
                for view in self.gil.values_mut() {
                    *view = GilView::default();
                }
                self.scaling = ScalingView::NotRun;
            }
            _ => {}
        }
        if job != Job::Setup {
            self.message = None;
        }
        self.running = Some((job, Instant::now()));
    }

    /// The lanes experiment `index` races, each in `state`.
    fn lanes_of(&self, index: usize, state: LaneState) -> Vec<(Lane, LaneState)> {
        let native = self.experiments.get(index).is_some_and(|e| e.fibonacci);
        Lane::ALL
            .into_iter()
            .filter(|&l| l != Lane::RustNative || native)
            .map(|l| (l, state.clone()))
            .collect()
    }

    /// Puts the selected experiment on the race pane, with empty lanes.
    fn show_selected(&mut self) {
        if self.race_exp != self.selected {
            self.race_exp = self.selected;
            self.race_size = self.current().and_then(|e| e.size);
            self.lanes = self.lanes_of(self.race_exp, LaneState::Idle);
        }
    }

    fn inform(&mut self, level: Level, text: String) {
        self.message = Some((level, text));
    }

    pub fn on_event(&mut self, event: AppEvent) -> Option<Effect> {
        match event {
            AppEvent::Engine(e) => self.on_engine(e),
            AppEvent::Toolchain(tc) => {
                self.setup_status = "ready".into();
                self.toolchain = Some(tc);
                None
            }
            AppEvent::BuildKnown(target, info) => {
                self.builds
                    .insert(target, info.map_or(BuildState::NotBuilt, BuildState::Ready));
                None
            }
            AppEvent::GilDone(run) => {
                let view = self.gil.entry(run.mode).or_default();
                view.running = false;
                view.verdict = Some((run.ok, run.verdict));
                view.timeline = run.timeline;
                None
            }
            AppEvent::ScalingStarted => {
                self.scaling = ScalingView::Running;
                None
            }
            AppEvent::ScalingDone(result) => {
                self.scaling = match result {
                    Ok(s) => ScalingView::Done(s),
                    Err(e) => ScalingView::Failed(e),
                };
                None
            }
            AppEvent::JobDone(result) => {
                let finished = self.running.take();
                match result {
                    Err(e) => self.inform(Level::Error, e),
                    Ok(()) => {
                        if let Some((Job::Race { .. }, _)) = finished {
                            self.inform(Level::Info, self.race_summary());
                        }
                    }
                }
                for (_, state) in &mut self.lanes {
                    if matches!(state, LaneState::Waiting | LaneState::Running { .. }) {
                        *state = LaneState::Failed("cancelled".into());
                    }
                }
                for view in self.gil.values_mut() {
                    view.running = false;
                }
                if self.scaling == ScalingView::Running {
                    self.scaling = ScalingView::NotRun;
                }
                let next = self.pending.take()?;
                self.begin(next.clone());
                Some(Effect::Start(next))
            }
        }
    }

    fn on_engine(&mut self, event: Event) -> Option<Effect> {
        match event {
            Event::Status(s) => self.setup_status = s,
            Event::BuildStarted(t) => {
                let last = self.last_good(&t);
                let since = Instant::now();
                self.builds.insert(t, BuildState::Building { since, last });
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
                    Err(e) => BuildState::Failed(e, self.last_good(&t)),
                };
                self.builds.insert(t, state);
            }
            Event::LaneStarted { lane, .. } => {
                self.set_lane(
                    lane,
                    LaneState::Running {
                        since: Instant::now(),
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
            Event::LaneFinished { lane, outcome, .. } => {
                let state = match outcome {
                    RunOutcome::Done {
                        seconds,
                        result,
                        correct,
                    } => LaneState::Done {
                        seconds,
                        result,
                        correct,
                    },
                    RunOutcome::Failed(why) => LaneState::Failed(why),
                };
                self.set_lane(lane, state);
            }
            Event::GilStarted(mode) => {
                let view = self.gil.entry(mode).or_default();
                *view = GilView {
                    running: true,
                    ..GilView::default()
                };
            }
            Event::GilLine(mode, line) => self.gil.entry(mode).or_default().lines.push(line),
        }
        None
    }

    /// A build that stays usable while a rebuild of it runs or after one fails.
    fn last_good(&self, target: &Target) -> Option<BuildInfo> {
        match self.builds.get(target) {
            Some(BuildState::Ready(info)) => Some(info.clone()),
            Some(BuildState::Failed(_, last) | BuildState::Building { last, .. }) => last.clone(),
            _ => None,
        }
    }

    fn set_lane(&mut self, lane: Lane, state: LaneState) {
        if let Some((_, s)) = self.lanes.iter_mut().find(|(l, _)| *l == lane) {
            *s = state;
        }
    }

    /// Lane times of the finished race, fastest first.
    pub fn finishing_order(&self) -> Vec<(Lane, f64)> {
        let mut done: Vec<(Lane, f64)> = self
            .lanes
            .iter()
            .filter_map(|(l, s)| match s {
                LaneState::Done { seconds, .. } => Some((*l, *seconds)),
                _ => None,
            })
            .collect();
        done.sort_by(|a, b| a.1.total_cmp(&b.1));
        done
    }

    pub fn python_time(&self) -> Option<f64> {
        self.lanes.iter().find_map(|(l, s)| match (l, s) {
            (Lane::Python, LaneState::Done { seconds, .. }) => Some(*seconds),
            _ => None,
        })
    }

    fn race_summary(&self) -> String {
        let order = self.finishing_order();
        let name = self.raced().map_or("", |e| e.name.as_str());
        let Some(python) = self.python_time() else {
            return format!("race of {name} done");
        };
        let parts: Vec<String> = order
            .iter()
            .filter(|(l, _)| *l != Lane::Python)
            .map(|(l, s)| format!("{} {:.1}x", l.name(), python / s))
            .collect();
        format!("{name}: {} faster than python", parts.join(", "))
    }
}

/// Experiments and targets for tests that need no files.
#[cfg(test)]
pub mod fixtures {
    use std::path::PathBuf;

    use super::*;

    pub fn experiment(key: &str, args: u64, min: u64, max: u64, split: bool) -> Experiment {
        Experiment {
            key: key.into(),
            dir: PathBuf::from("/lab").join(key),
            name: key.into(),
            description: format!("the {key} experiment"),
            module: key.into(),
            python_dir: "/lab/assets".into(),
            python_module: "reference".into(),
            python_function: "f".into(),
            python_setup: None,
            rust_function: "f".into(),
            args: vec![args.into()],
            knob: Some(Knob {
                index: 0,
                min,
                max,
                default: args,
            }),
            expect: None,
            split: split.then_some(Split::Fibonacci),
            overhead: None,
        }
    }

    pub fn lab_experiments() -> Vec<Experiment> {
        vec![
            experiment("fibonacci", 35, 0, 93, true),
            experiment("listsum", 1_000_000, 0, 2_000_000, false),
        ]
    }

    pub fn targets() -> Vec<Target> {
        ["fibonacci", "gil"]
            .iter()
            .flat_map(|k| Variant::ALL.map(|v| Target::new(k, &PathBuf::from("/lab").join(k), v)))
            .collect()
    }

    pub fn app() -> App {
        App::new(&lab_experiments(), targets())
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{app, targets};
    use super::*;

    fn race(n: u64) -> Job {
        Job::Race {
            experiment: "fibonacci".into(),
            size: Some(n),
        }
    }

    #[test]
    fn one_job_at_a_time_and_the_same_job_never_stacks() {
        let mut app = app();
        assert_eq!(app.on_action(Action::Race), Some(Effect::Start(race(35))));
        assert_eq!(app.on_action(Action::Race), None, "same job ignored");
        assert!(app.pending.is_none());
        assert_eq!(app.on_action(Action::Gil), None, "another job waits");
        assert_eq!(app.on_action(Action::BuildAll), None);
        assert_eq!(app.pending, Some(Job::Build(None)), "latest wins");
        let next = app.on_event(AppEvent::JobDone(Ok(())));
        assert_eq!(next, Some(Effect::Start(Job::Build(None))));
        assert!(app.pending.is_none());
    }

    #[test]
    fn cancel_drops_the_waiting_job_too() {
        let mut app = app();
        app.on_action(Action::Race);
        app.on_action(Action::Gil);
        assert_eq!(app.on_action(Action::Cancel), Some(Effect::Cancel));
        assert!(app.pending.is_none());
        assert_eq!(
            app.on_event(AppEvent::JobDone(Err("cancelled".into()))),
            None
        );
        assert!(!app.is_busy());
        assert!(
            app.lanes
                .iter()
                .all(|(_, s)| *s == LaneState::Failed("cancelled".into()))
        );
        assert_eq!(app.on_action(Action::Cancel), None, "nothing to cancel");
    }

    #[test]
    fn n_stops_at_its_bounds() {
        let mut app = app();
        app.experiments[0].size = Some(93);
        app.on_action(Action::NUp);
        assert_eq!(app.experiments[0].size, Some(93));
        assert!(app.message.as_ref().unwrap().1.contains("0..=93"));
        app.experiments[0].size = Some(0);
        app.on_action(Action::NDown);
        assert_eq!(app.experiments[0].size, Some(0));
        app.on_action(Action::NUp);
        assert_eq!(app.experiments[0].size, Some(1), "by one on a small range");
    }

    #[test]
    fn a_large_knob_doubles_and_the_picker_cycles() {
        let mut app = app();
        app.on_action(Action::NextExperiment);
        assert_eq!(app.current().unwrap().key, "listsum");
        assert_eq!(
            app.raced().unwrap().key,
            "listsum",
            "an idle race pane follows the picker"
        );
        app.on_action(Action::NUp);
        assert_eq!(app.current().unwrap().size, Some(2_000_000));
        app.on_action(Action::NUp);
        assert_eq!(
            app.current().unwrap().size,
            Some(2_000_000),
            "clamped to max"
        );
        app.on_action(Action::NDown);
        assert_eq!(app.current().unwrap().size, Some(1_000_000));
        assert_eq!(
            app.on_action(Action::Race),
            Some(Effect::Start(Job::Race {
                experiment: "listsum".into(),
                size: Some(1_000_000)
            }))
        );
        app.on_action(Action::NextExperiment);
        assert_eq!(app.current().unwrap().key, "fibonacci");
        assert_eq!(
            app.raced().unwrap().key,
            "listsum",
            "a running race stays on screen"
        );
    }

    #[test]
    fn a_failed_rebuild_keeps_the_last_good_build() {
        let mut app = app();
        let t = targets()[0].clone();
        let info = BuildInfo {
            inputs: "x".into(),
            seconds: 1.0,
            wheel_bytes: 1,
            module: "m.so".into(),
            module_bytes: 1,
            module_sha256: "y".into(),
            fresh: false,
        };
        app.on_event(AppEvent::BuildKnown(t.clone(), Some(info.clone())));
        app.on_event(AppEvent::Engine(Event::BuildStarted(t.clone())));
        app.on_event(AppEvent::Engine(Event::BuildFinished(
            t.clone(),
            Err("error[E0308]: mismatched types".into()),
        )));
        assert_eq!(
            app.builds[&t],
            BuildState::Failed("error[E0308]: mismatched types".into(), Some(info))
        );
    }
}
