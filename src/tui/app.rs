//! The lab's state as the screen shows it (one struct per pane, in
//! panes.rs), and the one place it changes: key actions and engine events
//! come in, effects for the runner go out.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::compile::bootstrap::Toolchain;
use crate::engine::error::LabError;
use crate::engine::event::Event;
use crate::engine::experiment::Experiment;
use crate::engine::experiment::SizeError;
use crate::engine::measure::sweep;
use crate::engine::measure::verify::{DEFAULT_INPUTS, VerifyConfig};
pub use crate::engine::pipeline::{Job, JobReport, RaceJob};
use crate::engine::types::{GilMode, Lane, Target, Variant};
use crate::units::{bytes, faster_or_slower, seconds};

use super::keys::Action;
pub use super::panes::{
    BuildState, BuildsPane, Extras, GilPane, GilView, LaneState, ProgramPane, RacePane,
    ScalingView, SweepPane, View,
};

/// An experiment on screen, and its knob's current value.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpView {
    pub exp: Experiment,
    pub size: Option<u64>,
    /// Whether each route lane's code had to change (read when loaded).
    pub rewrites: Vec<crate::engine::experiment::Rewrite>,
}

impl ExpView {
    pub fn new(exp: &Experiment) -> Self {
        Self {
            size: exp.knob.as_ref().map(|k| k.default),
            rewrites: exp.rewrites(),
            exp: exp.clone(),
        }
    }

    /// A route lane's code in a word: "as is" or "rewrote 1/4 lines".
    pub fn code_of(&self, lane: &str) -> Option<String> {
        self.rewrites
            .iter()
            .find(|w| w.lane == lane)
            .map(crate::engine::experiment::Rewrite::short)
    }

    pub fn key(&self) -> &str {
        &self.exp.key
    }

    pub fn name(&self) -> &str {
        &self.exp.name
    }

    /// The knob one step up or down: by one on a small range, else doubling.
    fn stepped(&self, up: bool) -> Option<u64> {
        let (knob, n) = (self.exp.knob.as_ref()?, self.size?);
        let fine = sweep::is_fine(knob);
        let next = match (up, fine) {
            (true, true) => n.checked_add(1)?,
            (false, true) => n.checked_sub(1)?,
            (true, false) => n.saturating_mul(2).max(1),
            (false, false) => n / 2,
        };
        let clamped = next.clamp(knob.min, knob.max);
        (clamped != n).then_some(clamped)
    }

    /// The exact answer the engine knows before a race, if any.
    pub fn known_answer(&self, size: Option<u64>) -> Option<String> {
        let args = self.exp.args_for(size).ok()?;
        self.exp.expected_for(&args).ok().flatten()
    }
}

/// What the runner must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Start(Job),
    /// Run the profiled program as it is and swapped (the program view's `S`).
    Swap(SwapRequest),
    Cancel,
    /// Start watching this experiment's files, or stop (None).
    Watch(Option<String>),
    Quit,
}

/// What `S` asks the runner: the project, and the program as profiled.
#[derive(Clone, Debug, PartialEq)]
pub struct SwapRequest {
    pub dir: std::path::PathBuf,
    pub cmd: Vec<String>,
    pub cwd: std::path::PathBuf,
}

/// Watching an experiment: every settled save rebuilds and re-races it.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchState {
    pub experiment: String,
    /// When the save that started the running round settled.
    pub saved: Option<Instant>,
    /// The last finished round: when it ended, and save-to-numbers seconds.
    pub last: Option<(Instant, f64)>,
}

/// Everything the runner reports, the engine's events among it.
#[derive(Clone, Debug)]
pub enum AppEvent {
    /// Boxed: an engine event (a build's target and info) is large.
    Engine(Box<Event>),
    /// Files of a watched experiment changed and the writes settled.
    FilesChanged(String, Vec<std::path::PathBuf>),
    /// Boxed: a report is large, the events around it are small.
    JobDone(Box<Result<JobReport, LabError>>),
    /// A swap's progress, a line at a time.
    SwapSaid(String),
    /// A swap's report, or why it stopped.
    /// (An `Arc`: events clone, as `LabError::Setup` does.)
    SwapDone(Box<Result<crate::program::swap::Report, std::sync::Arc<anyhow::Error>>>),
}

impl AppEvent {
    pub fn job_done(result: Result<JobReport, LabError>) -> Self {
        AppEvent::JobDone(Box::new(result))
    }
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
    pub toolchain: Option<Toolchain>,
    pub setup_status: String,
    pub builds: BuildsPane,
    pub race: RacePane,
    pub gil: GilPane,
    pub sweep: SweepPane,
    pub program: ProgramPane,
    /// The races and sweeps of the experiments not on screen, by key: each
    /// keeps its last results while another is shown.
    pub saved_races: BTreeMap<String, RacePane>,
    pub saved_sweeps: BTreeMap<String, SweepPane>,
    /// The view on screen (its tab lit).
    pub view: View,
    /// Lines the help overlay is scrolled down.
    pub help_scroll: u16,
    pub watch: Option<WatchState>,
    pub running: Option<(Job, Instant)>,
    pub pending: Option<Job>,
    /// The job after the pending one: the whole race, after a race of the
    /// release lanes alone answered first.
    pub then: Option<Job>,
    pub message: Option<(Level, String)>,
    /// The message says this lab waits for another one's lock: it goes
    /// when the job it held up ends.
    pub waiting: bool,
    pub show_help: bool,
    pub quit: bool,
}

impl App {
    pub fn new(experiments: &[Experiment], targets: Vec<Target>) -> Self {
        let experiments: Vec<ExpView> = experiments.iter().map(ExpView::new).collect();
        let mut app = Self {
            selected: 0,
            toolchain: None,
            setup_status: "starting".into(),
            builds: BuildsPane {
                variant: Variant::release(),
                states: targets
                    .into_iter()
                    .map(|t| (t, BuildState::Unknown))
                    .collect(),
                ..BuildsPane::default()
            },
            race: RacePane {
                size: experiments.first().and_then(|e| e.size),
                ..RacePane::default()
            },
            gil: GilPane {
                runs: [GilMode::Held, GilMode::Released]
                    .map(|m| (m, GilView::default()))
                    .into_iter()
                    .collect(),
                scaling: ScalingView::NotRun,
            },
            program: experiments
                .first()
                .map(|e| ProgramPane::load(&e.exp.dir))
                .unwrap_or_default(),
            experiments,
            sweep: SweepPane::default(),
            saved_races: BTreeMap::new(),
            saved_sweeps: BTreeMap::new(),
            view: View::Race,
            help_scroll: 0,
            watch: None,
            running: None,
            pending: None,
            then: None,
            message: None,
            waiting: false,
            show_help: false,
            quit: false,
        };
        app.race.lanes = app.lanes_of(0, LaneState::Idle);
        app
    }

    /// Sets the first experiment's knob (from `--n`), within its bounds.
    pub fn set_size(&mut self, n: Option<u64>) -> Result<(), SizeError> {
        let (Some(n), Some(view)) = (n, self.experiments.first_mut()) else {
            return Ok(());
        };
        view.exp.args_for(Some(n))?;
        view.size = Some(n);
        self.race.size = Some(n);
        Ok(())
    }

    pub fn current(&self) -> Option<&ExpView> {
        self.experiments.get(self.selected)
    }

    /// The experiment whose race is on screen.
    pub fn raced(&self) -> Option<&ExpView> {
        self.experiments.get(self.race.experiment)
    }

    pub fn is_busy(&self) -> bool {
        self.running.is_some()
    }

    /// The answer the race on screen must give, when the engine knows it.
    pub fn expected(&self) -> Option<String> {
        self.raced()?.known_answer(self.race.size)
    }

    /// Whether debug lanes race too (else release alone).
    pub fn races_debug(&self) -> bool {
        !self.race.no_debug
    }

    /// The builds `exp` races: its own variants, debug left out on `d`
    /// (unless nothing else would be left).
    fn variants_of(&self, exp: &Experiment) -> Vec<Variant> {
        let kept: Vec<Variant> = exp
            .variants
            .iter()
            .filter(|v| !(self.race.no_debug && **v == Variant::debug()))
            .cloned()
            .collect();
        if kept.is_empty() {
            exp.variants.clone()
        } else {
            kept
        }
    }

    /// Every variant a build on the pane has, in order: what `v` cycles through.
    fn build_variants(&self) -> Vec<Variant> {
        let mut all: Vec<Variant> = self
            .builds
            .states
            .keys()
            .map(|t| t.variant.clone())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// One handler per action, as ratatui's template's `update`.
    pub fn on_action(&mut self, action: Action) -> Option<Effect> {
        // A key pressed under the help goes to the help: it scrolls, closes
        // or quits, and starts nothing behind it.
        if self.show_help {
            return self.on_help_key(action);
        }
        match action {
            Action::Build => self.build(Some(self.builds.variant.clone())),
            Action::BuildAll => self.build(None),
            Action::ToggleVariant => {
                self.builds.variant = self.builds.variant.next_in(&self.build_variants());
                None
            }
            Action::ToggleDebugLanes => self.toggle_debug_lanes(),
            Action::ToggleInstructions => self.toggle_instructions(),
            Action::Sweep => self.sweep(),
            Action::Why => self.toggle_why(),
            Action::SweepView => self.sweep_view(),
            Action::NextView | Action::PreviousView => {
                self.view = self.view.next(action == Action::NextView);
                None
            }
            Action::ToggleWatch => self.toggle_watch(),
            Action::NextExperiment => self.next_experiment(),
            Action::Race => {
                self.view = View::Race;
                let job = self.race_job()?;
                match self.release_first(&job) {
                    Some(first) => {
                        let effect = self.request(first);
                        match &mut self.pending {
                            Some(_) => self.then = Some(job),
                            None => self.pending = Some(job),
                        }
                        self.inform(
                            Level::Info,
                            "python against the release build first; the other builds, then their \
                             lanes, follow"
                                .into(),
                        );
                        effect
                    }
                    None => {
                        self.then = None;
                        self.request(job)
                    }
                }
            }
            Action::ToggleVerify => self.toggle_verify(),
            Action::Gil => self.request(Job::Gil {
                variant: self.builds.variant.clone(),
                trace: None,
            }),
            Action::NUp | Action::NDown => self.step_n(action == Action::NUp),
            Action::ScrollUp => {
                let b = &mut self.builds;
                b.log_scroll = (b.log_scroll + 10).min(b.log.len().saturating_sub(1));
                None
            }
            Action::ScrollDown => {
                self.builds.log_scroll = self.builds.log_scroll.saturating_sub(10);
                None
            }
            Action::SelectUp | Action::SelectDown => {
                self.select_function(action == Action::SelectDown);
                None
            }
            Action::Open => self.open_function(),
            Action::Swap => self.swap(),
            Action::Cancel => self.cancel(),
            Action::Help => {
                self.show_help = true;
                self.help_scroll = 0;
                None
            }
            Action::Quit => {
                self.quit = true;
                Some(Effect::Quit)
            }
        }
    }

    fn on_help_key(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::ScrollDown => self.help_scroll = self.help_scroll.saturating_add(3),
            Action::ScrollUp => self.help_scroll = self.help_scroll.saturating_sub(3),
            Action::Help | Action::Cancel => self.show_help = false,
            Action::Quit => {
                self.quit = true;
                return Some(Effect::Quit);
            }
            _ => {}
        }
        None
    }

    /// `b` and `B`: the builds view, and a build in one variant or all.
    fn build(&mut self, variant: Option<Variant>) -> Option<Effect> {
        self.view = View::Builds;
        self.request(Job::Build(variant))
    }

    /// `d`: debug lanes in or out. The lanes on screen change; the results
    /// of those that stay do not.
    fn toggle_debug_lanes(&mut self) -> Option<Effect> {
        self.race.no_debug = !self.race.no_debug;
        let text = if self.races_debug() {
            "races debug and release builds"
        } else {
            "races release builds only (d brings debug back)"
        };
        self.inform(Level::Info, text.into());
        if self.is_busy() {
            return None;
        }
        let mut old = std::mem::take(&mut self.race.lanes);
        old.append(&mut self.race.set_aside);
        let lanes = self.lanes_of(self.race.experiment, LaneState::Idle);
        for (lane, state) in old {
            match lanes.iter().any(|(l, _)| *l == lane) {
                true => self.race.lanes.push((lane, state)),
                false => self.race.set_aside.push((lane, state)),
            }
        }
        // In the order the experiment names them; new ones idle.
        let mut ordered = Vec::new();
        for (lane, idle) in lanes {
            let i = self.race.lanes.iter().position(|(l, _)| *l == lane);
            ordered.push(i.map_or((lane, idle), |i| self.race.lanes.swap_remove(i)));
        }
        self.race.lanes = ordered;
        None
    }

    /// `I`: races count instructions too, or no longer.
    fn toggle_instructions(&mut self) -> Option<Effect> {
        self.race.counting = !self.race.counting;
        self.inform(
            Level::Info,
            if self.race.counting {
                "races count instructions under callgrind too (a separate, slower run)"
            } else {
                "races no longer count instructions"
            }
            .into(),
        );
        None
    }

    /// `s`: the selected experiment's race over its knob's default sizes.
    fn sweep(&mut self) -> Option<Effect> {
        let view = self.current()?;
        let Some(knob) = &view.exp.knob else {
            self.inform(
                Level::Info,
                format!("{} has no size knob to sweep", view.name()),
            );
            return None;
        };
        let sizes = sweep::default_sizes(knob);
        let Some(Job::Race(race)) = self.race_job() else {
            return None;
        };
        self.request(Job::Sweep { race, sizes })
    }

    /// `y`: the why view and back.
    fn toggle_why(&mut self) -> Option<Effect> {
        self.view = if self.view == View::Why {
            View::Race
        } else {
            View::Why
        };
        if self.view == View::Why && !self.race.counting {
            self.inform(
                Level::Info,
                "the why pane is made from instruction counts: press I, then r".into(),
            );
        }
        None
    }

    /// `x`: the sweep view; on it, time or speed-up.
    fn sweep_view(&mut self) -> Option<Effect> {
        if self.view == View::Sweep {
            self.sweep.show_speedup = !self.sweep.show_speedup;
        }
        self.view = View::Sweep;
        None
    }

    /// `w`: watch the selected experiment, or stop.
    fn toggle_watch(&mut self) -> Option<Effect> {
        if let Some(w) = self.watch.take() {
            self.inform(Level::Info, format!("stopped watching {}", w.experiment));
            return Some(Effect::Watch(None));
        }
        let key = self.current()?.key().to_owned();
        self.inform(
            Level::Info,
            format!("watching {key}: each save rebuilds, re-races and re-verifies if V is on"),
        );
        self.watch = Some(WatchState {
            experiment: key.clone(),
            saved: None,
            last: None,
        });
        Some(Effect::Watch(Some(key)))
    }

    /// `e`: the next experiment, shown unless a job runs.
    fn next_experiment(&mut self) -> Option<Effect> {
        if self.experiments.len() < 2 {
            self.inform(
                Level::Info,
                "there is only one experiment: add another with --lab DIR".into(),
            );
            return None;
        }
        self.selected = (self.selected + 1) % self.experiments.len();
        if !self.is_busy() {
            self.show_selected();
        }
        if self.program.swapping.is_none()
            && let Some(dir) = self.current().map(|e| e.exp.dir.clone())
        {
            self.program = ProgramPane::load(&dir);
        }
        let name = self.current().map_or("", |e| e.name()).to_owned();
        let text = if self.reference_time().is_some() && self.race.experiment == self.selected {
            format!("{name}: its last race; r races it again")
        } else {
            format!("{name} selected: r races it")
        };
        self.inform(Level::Info, text);
        None
    }

    /// `V`: a toggle never starts work: the next race verifies.
    fn toggle_verify(&mut self) -> Option<Effect> {
        self.race.verifying = !self.race.verifying;
        let text = if self.race.verifying {
            "the next race is followed by a differential check (V turns it off)"
        } else {
            "races no longer verify (V turns it on)"
        };
        self.inform(Level::Info, text.into());
        None
    }

    /// `+` and `-`: the size knob, within its lab.toml's bounds.
    fn step_n(&mut self, up: bool) -> Option<Effect> {
        let view = self.experiments.get_mut(self.selected)?;
        match view.stepped(up) {
            Some(n) => view.size = Some(n),
            None => {
                let text = match &view.exp.knob {
                    Some(k) => format!(
                        "N stays within {}..={} for {} (its lab.toml's min and max)",
                        k.min, k.max, view.exp.name
                    ),
                    None => format!("{} has no size knob", view.exp.name),
                };
                self.inform(Level::Info, text);
            }
        }
        None
    }

    /// `Esc`: the help closes; the job that runs is cancelled.
    fn cancel(&mut self) -> Option<Effect> {
        self.show_help = false;
        if self.program.swapping.is_some() {
            self.inform(Level::Info, "cancelling the swap".into());
            return Some(Effect::Cancel);
        }
        let running = self.running.as_ref()?;
        self.pending = None;
        self.then = None;
        self.inform(
            Level::Info,
            format!("cancelling the {}", running.0.describe()),
        );
        Some(Effect::Cancel)
    }

    /// The program view's selection, moved one function up or down.
    fn select_function(&mut self, down: bool) {
        let count = self
            .program
            .profile
            .as_ref()
            .map_or(0, |p| p.functions.len());
        if count == 0 {
            return;
        }
        self.program.selected = if down {
            (self.program.selected + 1).min(count - 1)
        } else {
            self.program.selected.saturating_sub(1)
        };
    }

    /// Enter on a function: its race, when the selected experiment races
    /// it; else the command that writes that race.
    fn open_function(&mut self) -> Option<Effect> {
        let function = self
            .program
            .profile
            .as_ref()?
            .functions
            .get(self.program.selected)?
            .clone();
        let raced_here = self.current().is_some_and(|e| {
            e.exp.reference().function == function.name
                && Some(&e.exp.reference().module) == function.module.as_ref()
        });
        if raced_here {
            self.view = View::Race;
            return self.on_action(Action::Race);
        }
        let dir = self.program.dir.clone().unwrap_or_default();
        let text = match &function.twin {
            Some(port) => format!(
                "{} has a port ({port}): `pyo3-lab init --function {}` in {} writes its race on the recorded calls (this folder's lab.toml races another)",
                function.name,
                function.name,
                dir.display()
            ),
            None => format!(
                "{0} has no Rust port yet: `pyo3-lab new {0}_port --from {1}:{0}` writes one to fill in, with the signature its calls suggest, raced on them",
                function.name,
                function.module.as_deref().unwrap_or("MODULE")
            ),
        };
        self.inform(Level::Info, text);
        None
    }

    /// `S`: the profiled program, as it is and with the ports swapped in.
    fn swap(&mut self) -> Option<Effect> {
        if self.is_busy() || self.program.swapping.is_some() {
            self.inform(
                Level::Info,
                "a job is running: S swaps once it ends (Esc cancels it)".into(),
            );
            return None;
        }
        let dir = self.program.dir.clone()?;
        let Some(profile) = self.program.profile.as_ref() else {
            self.inform(
                Level::Error,
                format!(
                    "no profile in {}: run `pyo3-lab profile -- python YOUR_PROGRAM.py` there first",
                    dir.display()
                ),
            );
            return None;
        };
        let request = SwapRequest {
            cmd: profile.cmd.clone(),
            cwd: profile.cwd.clone(),
            dir,
        };
        self.program.swapping = Some((Instant::now(), "setting up".into()));
        self.view = View::Program;
        Some(Effect::Swap(request))
    }

    /// A race of the selected experiment as the pane is set up: its size, the
    /// builds chosen, and the differential check when it is on.
    fn race_job(&self) -> Option<Job> {
        self.race_job_of(self.current()?.key())
    }

    /// The chapter's first question is Python against release: where none
    /// of a race's builds is there yet (a new home, a new crate), a race of
    /// the release lanes alone answers it while the other builds wait, one
    /// compile of pyo3 sooner.
    fn release_first(&self, job: &Job) -> Option<Job> {
        let Job::Race(race) = job else {
            return None;
        };
        let variants = race.variants.as_ref()?;
        let release = Variant::release();
        if variants.len() < 2 || !variants.contains(&release) {
            return None;
        }
        let exp = self
            .experiments
            .iter()
            .find(|e| e.key() == race.experiment)?;
        let crate_key = exp.exp.crate_key();
        let built = self.builds.states.iter().any(|(t, state)| {
            t.krate == crate_key && !t.counted && matches!(state, BuildState::Ready(_))
        });
        if built {
            return None;
        }
        Some(Job::Race(RaceJob {
            variants: Some(vec![release]),
            ..race.clone()
        }))
    }

    fn race_job_of(&self, key: &str) -> Option<Job> {
        let exp = self.experiments.iter().find(|e| e.key() == key)?;
        let mut job = RaceJob::quick(exp.key(), exp.size, Some(self.variants_of(&exp.exp)));
        if self.race.verifying {
            job.verify = Some(VerifyConfig::new(DEFAULT_INPUTS, None));
        }
        job.instructions = self.race.counting;
        Some(Job::Race(job))
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
            Job::Race(r) => {
                let index = self
                    .experiments
                    .iter()
                    .position(|e| e.key() == r.experiment)
                    .unwrap_or(0);
                // The same race again keeps its numbers until it starts for
                // real: a build that fails leaves the last good ones on screen.
                self.put_on_screen(index);
                if r.size != self.race.size {
                    self.race.size = r.size;
                    self.race.lanes = self.lanes_of(index, LaneState::Waiting);
                }
                for (_, state) in &mut self.race.lanes {
                    if !matches!(state, LaneState::Done { .. }) {
                        *state = LaneState::Waiting;
                    }
                }
            }
            Job::Sweep { race, sizes } => {
                let geometric = self
                    .experiments
                    .iter()
                    .find(|e| e.key() == race.experiment)
                    .and_then(|e| e.exp.knob.as_ref())
                    .is_some_and(|k| !sweep::is_fine(k));
                if self.sweep.experiment != race.experiment && !self.sweep.experiment.is_empty() {
                    let old = std::mem::take(&mut self.sweep);
                    self.saved_sweeps.insert(old.experiment.clone(), old);
                }
                self.sweep = SweepPane {
                    experiment: race.experiment.clone(),
                    sizes: sizes.clone(),
                    geometric,
                    started: Some(Instant::now()),
                    estimate: self.first_estimate(race, sizes),
                    running: true,
                    show_speedup: self.sweep.show_speedup,
                    points: Vec::new(),
                };
                self.view = View::Sweep;
            }
            Job::Gil { .. } => {
                self.view = View::Gil;
                for view in self.gil.runs.values_mut() {
                    *view = GilView::default();
                }
                self.gil.scaling = ScalingView::NotRun;
            }
            _ => {}
        }
        if job != Job::Setup {
            self.message = None;
        }
        self.running = Some((job, Instant::now()));
    }

    /// The lanes experiment `index` races with the chosen builds, each in `state`.
    fn lanes_of(&self, index: usize, state: LaneState) -> Vec<(Lane, LaneState)> {
        self.experiments
            .get(index)
            .map(|e| e.exp.lanes(&self.variants_of(&e.exp)))
            .unwrap_or_default()
            .into_iter()
            .map(|l| (l, state.clone()))
            .collect()
    }

    /// Puts the selected experiment on screen: its last race and sweep, or
    /// idle lanes.
    fn show_selected(&mut self) {
        self.put_on_screen(self.selected);
    }

    /// Experiment `index`'s race and sweep on screen; the ones they replace
    /// are kept for when it comes back. The toggles stay as they are.
    fn put_on_screen(&mut self, index: usize) {
        let key_of = |app: &Self, i: usize| app.experiments.get(i).map(|e| e.key().to_owned());
        if index != self.race.experiment {
            let toggles = (self.race.no_debug, self.race.verifying, self.race.counting);
            let fresh = RacePane {
                experiment: index,
                size: self.experiments.get(index).and_then(|e| e.size),
                lanes: self.lanes_of(index, LaneState::Idle),
                ..RacePane::default()
            };
            let restored = key_of(self, index)
                .and_then(|k| self.saved_races.remove(&k))
                .unwrap_or(fresh);
            let old = std::mem::replace(&mut self.race, restored);
            if let Some(k) = key_of(self, old.experiment) {
                self.saved_races.insert(k, old);
            }
            (self.race.no_debug, self.race.verifying, self.race.counting) = toggles;
        }
        if let Some(key) = key_of(self, index)
            && self.sweep.experiment != key
        {
            let show_speedup = self.sweep.show_speedup;
            let restored = self.saved_sweeps.remove(&key).unwrap_or_default();
            let old = std::mem::replace(&mut self.sweep, restored);
            if !old.experiment.is_empty() {
                self.saved_sweeps.insert(old.experiment.clone(), old);
            }
            self.sweep.show_speedup = show_speedup;
        }
    }

    fn inform(&mut self, level: Level, text: String) {
        self.message = Some((level, text));
    }

    pub fn on_event(&mut self, event: AppEvent) -> Option<Effect> {
        match event {
            AppEvent::Engine(e) => self.on_engine(*e),
            AppEvent::JobDone(result) => self.on_job_done(*result),
            AppEvent::FilesChanged(key, changed) => self.on_save(&key, &changed),
            AppEvent::SwapSaid(line) => {
                if let Some((_, said)) = &mut self.program.swapping {
                    *said = line;
                }
                None
            }
            AppEvent::SwapDone(result) => {
                self.program.swapping = None;
                match *result {
                    Ok(report) => {
                        let text = match (report.speedup, report.output_same) {
                            (_, false) => {
                                (Level::Error, "swap: the program's output changed".into())
                            }
                            (Some(s), true) => (
                                Level::Info,
                                format!("swap: {s:.2}x faster end to end, the output the same"),
                            ),
                            (None, true) => (Level::Info, "swap: done".into()),
                        };
                        self.inform(text.0, text.1);
                        self.program.swap = Some(report);
                    }
                    Err(e) => self.inform(Level::Error, format!("swap: {e:#}")),
                }
                None
            }
        }
    }

    /// A watched experiment's files changed: rebuild and re-race it. A round
    /// still running is cancelled and started over: the latest save wins.
    fn on_save(&mut self, key: &str, changed: &[std::path::PathBuf]) -> Option<Effect> {
        let watch = self.watch.as_mut().filter(|w| w.experiment == key)?;
        watch.saved = Some(Instant::now());
        let job = self.race_job_of(key)?;
        let names: Vec<String> = changed
            .iter()
            .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
            .collect();
        let what = if names.is_empty() {
            "watching".to_owned()
        } else {
            format!("saved {}", names.join(", "))
        };
        match &self.running {
            Some((Job::Race(r), _)) if r.experiment == key => {
                self.pending = Some(job);
                self.inform(Level::Info, format!("{what}: starting the round over"));
                Some(Effect::Cancel)
            }
            _ => {
                let effect = self.request(job);
                self.inform(
                    Level::Info,
                    format!("{what}: rebuilding and re-racing {key}"),
                );
                effect
            }
        }
    }

    fn on_job_done(&mut self, result: Result<JobReport, LabError>) -> Option<Effect> {
        let finished = self.running.take();
        let watched_round = match (&finished, &self.watch) {
            (Some((Job::Race(r), _)), Some(w)) => r.experiment == w.experiment,
            _ => false,
        };
        if watched_round
            && !matches!(result, Err(LabError::Cancelled))
            && let Some(w) = self.watch.as_mut()
            && let Some(saved) = w.saved.take()
        {
            w.last = Some((Instant::now(), saved.elapsed().as_secs_f64()));
        }
        let describe = finished
            .as_ref()
            .map_or_else(String::new, |(j, _)| j.describe());
        if std::mem::take(&mut self.waiting) {
            self.message = None;
        }
        match result {
            Err(LabError::Cancelled) => self.inform(Level::Error, format!("{describe} cancelled")),
            Err(e) => self.inform(Level::Error, e.to_string()),
            Ok(report) => {
                self.setup_status = "ready".into();
                if report.race.is_some() {
                    self.race.threads = report.threads.clone();
                }
                for rec in report.race.iter().flatten() {
                    let extras = self.race.extras.entry(rec.lane.name.clone()).or_default();
                    extras.memory = rec.memory.iter().flatten().max().copied();
                    if let Some(first) = rec.first_call {
                        extras.cost = Some(format!("1st call {}", seconds(first)));
                    }
                }
                self.toolchain = Some(report.toolchain);
                if report.home_bytes.is_some() {
                    self.builds.home_bytes = report.home_bytes;
                }
                for (target, info) in report.known {
                    self.builds
                        .states
                        .insert(target, info.map_or(BuildState::NotBuilt, BuildState::Ready));
                }
                let build_failed = report.builds.iter().any(|(_, b)| b.is_err());
                let problems = crate::report::problems::describe_all(&report.problems).join("; ");
                if build_failed && report.race.is_none() && watched_round {
                    self.inform(
                        Level::Error,
                        format!("the last good build's numbers stay: {problems}"),
                    );
                } else if !report.problems.is_empty() {
                    self.inform(Level::Error, problems);
                } else if let Some((Job::Race(_), _)) = finished {
                    self.inform(Level::Info, self.race_summary());
                }
            }
        }
        // Lanes a queued race of the same experiment will run keep waiting.
        let queued = matches!(&self.pending, Some(Job::Race(r)) if self.raced().is_some_and(|e| e.key() == r.experiment));
        for (_, state) in &mut self.race.lanes {
            let waiting = matches!(state, LaneState::Waiting);
            if (waiting && !queued) || matches!(state, LaneState::Running { .. }) {
                *state = LaneState::Failed("cancelled".into());
            }
        }
        for view in self.gil.runs.values_mut() {
            view.running = false;
        }
        self.sweep.running = false;
        if matches!(self.gil.scaling, ScalingView::Running(_)) {
            self.gil.scaling = ScalingView::NotRun;
        }
        let next = self.pending.take()?;
        self.pending = self.then.take();
        self.begin(next.clone());
        Some(Effect::Start(next))
    }

    /// An engine event: each pane takes its own; the app keeps what is
    /// shared (set-up status, the experiments, the message line).
    fn on_engine(&mut self, event: Event) -> Option<Effect> {
        match event {
            Event::Status(s) => self.setup_status = s,
            Event::RouteLine(lane, line) => self.setup_status = format!("{lane}: {line}"),
            Event::RouteBuilt(lane, b) => {
                self.setup_status = format!("{lane}: {} module ready", b.route);
                self.race.extras.entry(lane).or_default().cost = Some(format!(
                    "built {}, {}",
                    seconds(b.seconds),
                    bytes(b.module_bytes)
                ));
            }
            Event::ExperimentLoaded(exp) => {
                let exp = *exp;
                if let Some(view) = self.experiments.iter_mut().find(|v| v.exp.key == exp.key) {
                    let size = view.size.filter(|&n| exp.args_for(Some(n)).is_ok());
                    *view = ExpView::new(&exp);
                    view.size = size.or(view.size);
                }
            }
            Event::SweepPoint(point) => self.sweep.add(point),
            Event::Waiting(why) => {
                self.inform(Level::Info, why);
                self.waiting = true;
            }
            Event::BuildRestarted(target, why) => {
                self.inform(Level::Info, format!("{target}: {why}"))
            }
            Event::Counting(lane) => {
                self.inform(
                    Level::Info,
                    format!("counting {lane}'s instructions under callgrind (about 50x slower)…"),
                );
                self.race.on_engine(Event::Counting(lane));
            }
            e @ (Event::BuildStarted(_) | Event::BuildLine(..) | Event::BuildFinished(..)) => {
                // A new module is other code: the runs of the old one are
                // not its samples.
                if let Event::BuildFinished(t, Ok(info)) = &e
                    && !info.fresh
                    && !t.counted
                    && self.raced().is_some_and(|r| r.key() == t.krate)
                {
                    self.race.forget_samples();
                }
                self.builds.on_engine(e)
            }
            e @ (Event::Verified(_)
            | Event::Counted(..)
            | Event::RaceStarted { .. }
            | Event::LaneStarted { .. }
            | Event::LaneProgress { .. }
            | Event::LaneFinished { .. }) => self.race.on_engine(e),
            e @ (Event::GilStarted(_)
            | Event::GilLine(..)
            | Event::GilDone(_)
            | Event::ScalingStarted
            | Event::ScalingProgress { .. }
            | Event::ScalingDone(_)) => self.gil.on_engine(e),
        }
        None
    }

    /// Before a sweep's first point: the race on screen, if it ran at one of
    /// the sizes' neighbours, scaled as the knob grows (linearly in N on a
    /// wide knob; by the golden ratio per step on a small one, as fib does).
    fn first_estimate(&self, race: &RaceJob, sizes: &[u64]) -> Option<f64> {
        let raced = self.raced()?;
        if raced.key() != race.experiment {
            return None;
        }
        let n0 = self.race.size? as f64;
        let per_size: f64 = self.finishing_order().iter().map(|(_, s)| s).sum();
        if per_size == 0.0 {
            return None;
        }
        let fine = raced.exp.knob.as_ref().is_some_and(sweep::is_fine);
        Some(
            sizes
                .iter()
                .map(|&n| {
                    if fine {
                        per_size * sweep::GUESSED_GROWTH_PER_STEP.powf(n as f64 - n0)
                    } else {
                        per_size * n as f64 / n0.max(1.0)
                    }
                })
                .sum(),
        )
    }

    /// Lane times of the finished race, fastest first.
    pub fn finishing_order(&self) -> Vec<(&Lane, f64)> {
        let mut done: Vec<(&Lane, f64)> = self
            .race
            .lanes
            .iter()
            .filter_map(|(l, s)| match s {
                LaneState::Done { seconds, .. } => Some((l, *seconds)),
                _ => None,
            })
            .collect();
        done.sort_by(|a, b| a.1.total_cmp(&b.1));
        done
    }

    /// The reference lane's time, once it has one: what speed-ups are against.
    pub fn reference_time(&self) -> Option<(&Lane, f64)> {
        self.race.lanes.iter().find_map(|(l, s)| match s {
            LaneState::Done { seconds, .. } if l.reference => Some((l, *seconds)),
            _ => None,
        })
    }

    fn race_summary(&self) -> String {
        let name = self.raced().map_or("", |e| e.name());
        let Some((reference, time)) = self.reference_time() else {
            return format!("race of {name} done");
        };
        let parts: Vec<String> = self
            .finishing_order()
            .iter()
            .filter(|(l, _)| !l.reference)
            .map(|(l, s)| format!("{l} {}", faster_or_slower(time / s, &reference.name)))
            .collect();
        format!("{name}: {}", parts.join(", "))
    }
}

/// Experiments and targets for tests that need no files.
#[cfg(test)]
pub mod fixtures {
    use std::path::PathBuf;

    use super::*;
    pub use crate::engine::experiment::fixtures::lab_experiments;

    pub fn targets() -> Vec<Target> {
        ["fibonacci", "gil"]
            .iter()
            .flat_map(|k| {
                Variant::defaults().map(|v| Target::new(k, &PathBuf::from("/lab").join(k), v))
            })
            .collect()
    }

    pub fn app() -> App {
        App::new(&lab_experiments(), targets())
    }

    /// An app whose every build is there, as after set-up in a used home.
    pub fn built_app() -> App {
        let mut app = app();
        for exp in lab_experiments() {
            for v in Variant::defaults() {
                let target = Target::new(&exp.crate_key(), &exp.dir, v);
                app.builds
                    .states
                    .insert(target, BuildState::Ready(info(15.0, 1 << 20, true)));
            }
        }
        app
    }

    pub fn info(seconds: f64, module_bytes: u64, fresh: bool) -> BuildInfo {
        BuildInfo {
            inputs: "0".into(),
            crate_dir: None,
            seconds,
            wheel_bytes: module_bytes / 3,
            module: "/lab/site/m.so".into(),
            module_bytes,
            line_table_bytes: 0,
            module_sha256: "0".into(),
            fresh,
            clean: Some(false),
            pyo3: Some("pyo3 0.30.1".into()),
            packages: Vec::new(),
        }
    }

    pub fn toolchain() -> Toolchain {
        Toolchain {
            python_version: "3.11.7".into(),
            venv_python: "/lab/venv/bin/python".into(),
            site_packages: "/lab/venv/lib/python3.11/site-packages".into(),
            maturin: "/lab/venv/bin/maturin".into(),
            maturin_version: "1.16.0".into(),
        }
    }

    /// The end of a job: what set-up found of the builds, and the problems.
    use crate::engine::problem::{Problem, ProblemKind};
    use crate::engine::types::BuildInfo;

    pub fn report(known: Vec<(Target, Option<BuildInfo>)>, problems: &[&str]) -> JobReport {
        JobReport {
            known,
            problems: problems
                .iter()
                .map(|p| Problem::of(ProblemKind::Step(p.to_string())))
                .collect(),
            ..JobReport::new(toolchain())
        }
    }

    /// A job that ended with nothing wrong.
    pub fn done() -> AppEvent {
        AppEvent::job_done(Ok(report(Vec::new(), &[])))
    }

    /// The lanes of the fixtures' one-function-a-side experiments, by name.
    pub fn lane(name: &str) -> Lane {
        match name {
            "python" => Lane::python("f", true, true),
            "rust-debug" => Lane::rust("f", Variant::debug(), true),
            "rust-release" => Lane::rust("f", Variant::release(), true),
            _ => Lane::native(),
        }
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
