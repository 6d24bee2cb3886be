//! What a job is: what a front end asks of the lab (`Job`, `RaceJob`), one
//! race job's context (`RaceCtx`), and everything a job produced
//! (`JobReport`). `lab` does a job's steps; `pipeline` runs it whole.

use std::time::Duration;

use super::compile::bootstrap::Toolchain;
use super::error::{LabError, LabResult};
use super::experiment::Experiment;
use super::measure::threads::ThreadRow;
use super::measure::verify::VerifyConfig;
use super::problem::Problem;
use super::types::RouteBuild;
use super::types::{
    BuildInfo, GilMode, GilRun, LaneRecord, Scaling, SweepPoint, Target, Variant, VerifyRecord,
};
use crate::cancel::Cancel;

/// What a front end asks of the lab.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// Set up the venv and learn which builds are up to date.
    Setup,
    /// Build every crate in one variant, or in both (None).
    Build(Option<Variant>),
    Race(RaceJob),
    /// The race at each of `sizes` in turn (the race's own size is not used).
    Sweep {
        race: RaceJob,
        sizes: Vec<u64>,
    },
    /// The GIL demo in both orders at once (each in its own worker: they
    /// mostly sleep), then the scaling run.
    Gil {
        variant: Variant,
        /// While the demo sleeps, the untimed tracemalloc run of this race's
        /// Python lanes (`--check` takes it out of the race to save its time).
        trace: Option<RaceJob>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct RaceJob {
    pub experiment: String,
    /// The size knob's value; the experiment's default when None.
    pub size: Option<u64>,
    /// Measured rounds: at least this many, more while the budget lasts.
    pub runs: usize,
    /// Measured rounds go on past `runs` until this much time is measured:
    /// a short call gets the rounds a test needs, a long one its floor.
    pub budget: Duration,
    pub warmup: usize,
    pub timeout: Option<Duration>,
    /// The builds whose Rust lanes race; the experiment's own choice when None.
    pub variants: Option<Vec<Variant>>,
    /// After the race, each implementation from this many threads at once.
    pub threads: Option<Vec<u32>>,
    /// Each Python lane once more under tracemalloc (for reports).
    pub trace: bool,
    /// After the race, each lane's instructions per call under callgrind.
    pub instructions: bool,
    /// With the counts, each lane's profile as folded stacks, for flame graphs.
    pub stacks: bool,
    /// After the race, the differential check, when asked for.
    pub verify: Option<VerifyConfig>,
    /// Race the lanes whose builds succeeded even when another build failed
    /// (`--check`); else a failed build stops the race and the last numbers stay.
    pub keep_going: bool,
}

impl RaceJob {
    /// One quick run a lane: what the terminal races on a key press.
    pub fn quick(experiment: &str, size: Option<u64>, variants: Option<Vec<Variant>>) -> Self {
        Self {
            experiment: experiment.into(),
            size,
            runs: 1,
            budget: Duration::ZERO,
            warmup: 0,
            timeout: None,
            variants,
            threads: None,
            trace: false,
            instructions: false,
            stacks: false,
            verify: None,
            keep_going: false,
        }
    }
}

impl Job {
    pub fn describe(&self) -> String {
        match self {
            Job::Setup => "set-up".into(),
            Job::Build(Some(v)) => format!("{} build", v.name()),
            Job::Build(None) => "build of everything".into(),
            Job::Race(RaceJob {
                experiment,
                size: Some(n),
                ..
            }) => format!("race of {experiment} (N = {n})"),
            Job::Race(r) => format!("race of {}", r.experiment),
            Job::Sweep { race, sizes } => {
                format!("sweep of {} over {} sizes", race.experiment, sizes.len())
            }
            Job::Gil { .. } => "GIL demo".into(),
        }
    }
}

/// One race job's context, made once: what each of its steps needs.
pub struct RaceCtx<'a> {
    pub toolchain: &'a Toolchain,
    /// The experiment as its lab.toml says now (read again before the job).
    pub exp: Experiment,
    pub job: RaceJob,
    /// The variants whose builds are there.
    pub built: &'a [Variant],
    pub cancel: &'a Cancel,
}

impl<'a> RaceCtx<'a> {
    pub fn new(
        toolchain: &'a Toolchain,
        exp: Experiment,
        job: &RaceJob,
        built: &'a [Variant],
        cancel: &'a Cancel,
    ) -> Self {
        Self {
            toolchain,
            exp,
            job: job.clone(),
            built,
            cancel,
        }
    }

    /// The same job at one size of a sweep.
    pub fn at(&self, size: u64) -> Self {
        Self {
            exp: self.exp.clone(),
            // A sweep's sizes take the fixed count: a budget per size
            // would multiply its time by the number of sizes.
            job: RaceJob {
                size: Some(size),
                budget: Duration::ZERO,
                ..self.job.clone()
            },
            ..*self
        }
    }

    /// Whether the race goes ahead: a failed build stops it unless the job
    /// races what did build (`keep_going`).
    /// Without its Python packages nothing of the experiment can run.
    pub fn may_race(&self, report: &JobReport) -> bool {
        let wanted = self.job.variants.as_ref().unwrap_or(&self.exp.variants);
        let unpackaged = report
            .builds
            .iter()
            .any(|(_, r)| matches!(r, Err(LabError::Packages(_))));
        !unpackaged && (self.job.keep_going || self.built.len() >= wanted.len())
    }
}

/// The GIL demo's two runs, in the order the chapter shows them.
pub const GIL_ORDER: [GilMode; 2] = [GilMode::Held, GilMode::Released];

/// Everything a job produced; `problems` is empty when every check passed.
#[derive(Clone, Debug)]
pub struct JobReport {
    pub toolchain: Toolchain,
    /// What set-up found of each build: intact and current, or not there.
    pub known: Vec<(Target, Option<BuildInfo>)>,
    pub builds: Vec<(Target, LabResult<BuildInfo>)>,
    pub race: Option<Vec<LaneRecord>>,
    /// Each implementation called from T threads at once.
    pub threads: Vec<ThreadRow>,
    /// A sweep's sizes measured so far, in order.
    pub sweep: Vec<SweepPoint>,
    pub verify: Option<Vec<VerifyRecord>>,
    pub gil: Vec<GilRun>,
    pub scaling: Option<LabResult<Scaling>>,
    /// Tracemalloc's peak of each Python lane, from a run made apart from
    /// its race: (experiment, lane, bytes).
    pub traced: Vec<(String, String, u64)>,
    pub problems: Vec<Problem>,
    /// The lab home's size after a set-up or a build job.
    pub home_bytes: Option<u64>,
    /// Each route lane's module (Cython, mypyc): (experiment, lane, build).
    pub routes: Vec<(String, String, RouteBuild)>,
}

impl JobReport {
    /// A report with nothing in it yet.
    pub fn new(toolchain: Toolchain) -> Self {
        Self {
            toolchain,
            known: Vec::new(),
            builds: Vec::new(),
            race: None,
            threads: Vec::new(),
            sweep: Vec::new(),
            verify: None,
            gil: Vec::new(),
            scaling: None,
            traced: Vec::new(),
            problems: Vec::new(),
            home_bytes: None,
            routes: Vec::new(),
        }
    }
}
