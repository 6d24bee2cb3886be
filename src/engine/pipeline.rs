//! The job sequence, written once: what a job needs built, building it, then
//! the race, or the GIL demo and the scaling run, and the problems found.
//! `--check`, the TUI and `bench` are front ends over `Lab::run`.

use std::time::Duration;

use super::Lab;
use super::build::bootstrap::Toolchain;
use super::build::route::RouteBuild;
use super::error::{LabError, LabResult};
use super::event::Event;
use super::experiment::Experiment;
use super::measure::race::RaceConfig;
use super::measure::threads::ThreadRow;
use super::measure::verify::VerifyConfig;
use super::problem::{Problem, ProblemKind};
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
    fn at(&self, size: u64) -> Self {
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
    fn may_race(&self, report: &JobReport) -> bool {
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

impl Lab {
    /// Runs one job from set-up to checked results. Errors are what stopped
    /// the job as a whole (set-up, a bad size, a cancel); what went wrong
    /// inside it is in the report's problems.
    pub fn run(&self, job: &Job, cancel: &Cancel) -> LabResult<JobReport> {
        self.run_observed(job, cancel, &mut |_| {})
    }

    /// `run`, showing `observe` the report as it grows (after each size of a
    /// sweep), so a front end can save what is measured before the end.
    pub fn run_observed(
        &self,
        job: &Job,
        cancel: &Cancel,
        observe: &mut dyn FnMut(&JobReport),
    ) -> LabResult<JobReport> {
        let toolchain = self.bootstrap()?;
        let mut report = JobReport::new(toolchain.clone());
        // lab.toml may have been edited since; a bad size fails before
        // anything is built.
        if let Job::Race(r) | Job::Sweep { race: r, .. } = job {
            self.reload(&r.experiment)?.args_for(r.size)?;
        }
        let built = self.build_needed(&toolchain, job, cancel, &mut report);
        if cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        match job {
            Job::Setup => {
                report.known = self
                    .all_targets()
                    .into_iter()
                    .map(|t| {
                        let info = self.existing(&toolchain, &t);
                        (t, info)
                    })
                    .collect();
                report.home_bytes = Some(self.home_bytes());
            }
            Job::Build(_) => report.home_bytes = Some(self.home_bytes()),
            Job::Race(r) => {
                let exp = self.experiment(&r.experiment)?;
                let exp = self.build_routes(&toolchain, exp, cancel, &mut report);
                let ctx = RaceCtx::new(&toolchain, exp, r, &built, cancel);
                self.race_job(&ctx, &mut report)?
            }
            Job::Sweep { race, sizes } => {
                let exp = self.experiment(&race.experiment)?;
                let exp = self.build_routes(&toolchain, exp, cancel, &mut report);
                let ctx = RaceCtx::new(&toolchain, exp, race, &built, cancel);
                self.sweep_job(&ctx, sizes, &mut report, observe)?
            }
            Job::Gil { variant, trace } if built.contains(variant) => {
                self.gil_job(&toolchain, variant, trace.as_ref(), cancel, &mut report)
            }
            Job::Gil { .. } => {}
        }
        if cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        Ok(report)
    }

    /// The builds a job needs, in the order they are made.
    fn needs(&self, job: &Job) -> LabResult<Vec<Target>> {
        Ok(match job {
            Job::Setup => vec![],
            Job::Build(variant) => self
                .all_targets()
                .into_iter()
                .filter(|t| variant.as_ref().is_none_or(|v| t.variant == *v))
                .collect(),
            Job::Race(r) | Job::Sweep { race: r, .. } => {
                let exp = self.experiment(&r.experiment)?;
                let variants = r.variants.as_ref().unwrap_or(&exp.variants);
                variants.iter().map(|v| self.target(&exp, v)).collect()
            }
            // A race to trace was built by its own job, just before.
            Job::Gil { variant, .. } => vec![self.gil_target(variant)],
        })
    }

    /// Builds what `job` needs; returns the variants that built.
    fn build_needed(
        &self,
        toolchain: &Toolchain,
        job: &Job,
        cancel: &Cancel,
        report: &mut JobReport,
    ) -> Vec<Variant> {
        let targets = match self.needs(job) {
            Ok(t) => t,
            Err(e) => {
                report
                    .problems
                    .push(Problem::of(ProblemKind::Step(e.to_string())));
                return Vec::new();
            }
        };
        let mut built = Vec::new();
        for target in targets {
            if cancel.is_cancelled() {
                break;
            }
            let result = self.build(toolchain, &target, false, cancel);
            match &result {
                Ok(_) => built.push(target.variant.clone()),
                // Said once for the experiment, not once per build.
                Err(LabError::Packages(e)) => {
                    let said = report.problems.iter().any(|p| {
                        p.experiment.as_deref() == Some(&target.krate)
                            && matches!(p.kind, ProblemKind::Packages(_))
                    });
                    if !said {
                        report.problems.push(Problem::in_experiment(
                            &target.krate,
                            ProblemKind::Packages(e.clone()),
                        ));
                    }
                }
                Err(e) => report.problems.push(Problem::of(ProblemKind::Build {
                    target: target.clone(),
                    error: e.to_string(),
                })),
            }
            report.builds.push((target, result));
        }
        built
    }

    /// Builds each route lane's module (Cython, mypyc) unless a build of the
    /// same inputs is there; a lane whose build failed is left out of the
    /// experiment it gives back, its failure a problem of its own.
    fn build_routes(
        &self,
        toolchain: &Toolchain,
        mut exp: Experiment,
        cancel: &Cancel,
        report: &mut JobReport,
    ) -> Experiment {
        let mut failed = Vec::new();
        for imp in exp.python.iter().filter(|p| p.built_route().is_some()) {
            match self.build_route(toolchain, &exp, imp, cancel) {
                Ok(build) => report
                    .routes
                    .push((exp.key.clone(), imp.label.clone(), build)),
                Err(e) => {
                    report.problems.push(Problem::in_lane(
                        &exp.key,
                        &imp.label,
                        ProblemKind::LaneFailed(format!("its module did not build: {e:#}")),
                    ));
                    failed.push(imp.label.clone());
                }
            }
        }
        exp.python.retain(|p| !failed.contains(&p.label));
        exp
    }

    /// Races the lanes whose builds are there; a failed build's lanes are left
    /// out (its failure is already a problem).
    fn race_job(&self, ctx: &RaceCtx, report: &mut JobReport) -> LabResult<()> {
        if !ctx.may_race(report) {
            return Ok(());
        }
        let records = self.measure(ctx, &mut report.problems)?;
        let expect = records
            .iter()
            .find(|x| !x.lane.reference && x.expected.is_some())
            .and_then(|x| x.expected.clone());
        report.race = Some(records);
        self.follow_up(ctx, expect, report)
    }

    /// The race at each size in turn, then (once, at the job's own size) what
    /// follows a race: a lane that fails at one size is marked there, and the
    /// sweep goes on; the report is shown to `observe` after every size.
    fn sweep_job(
        &self,
        ctx: &RaceCtx,
        sizes: &[u64],
        report: &mut JobReport,
        observe: &mut dyn FnMut(&JobReport),
    ) -> LabResult<()> {
        if !ctx.may_race(report) {
            return Ok(());
        }
        for &size in sizes {
            if ctx.cancel.is_cancelled() {
                return Err(LabError::Cancelled);
            }
            let mut problems = Vec::new();
            let records = match self.measure(&ctx.at(size), &mut problems) {
                Ok(records) => records,
                Err(LabError::Cancelled) => return Err(LabError::Cancelled),
                Err(e) => {
                    problems.push(Problem::in_experiment(
                        &ctx.exp.key,
                        ProblemKind::Step(e.to_string()),
                    ));
                    Vec::new()
                }
            };
            report
                .problems
                .extend(problems.into_iter().map(|p| p.at_size(size)));
            let point = SweepPoint { size, records };
            (self.sink)(Event::SweepPoint(point.clone()));
            report.sweep.push(point);
            observe(report);
        }
        self.follow_up(ctx, None, report)
    }

    /// One race and, when asked, each lane's instruction count; what went
    /// wrong is added to `problems`.
    fn measure(&self, ctx: &RaceCtx, problems: &mut Vec<Problem>) -> LabResult<Vec<LaneRecord>> {
        let (r, exp) = (&ctx.job, &ctx.exp);
        let cfg = RaceConfig {
            size: r.size,
            runs: r.runs,
            budget: r.budget,
            warmup: r.warmup,
            timeout: r.timeout,
            variants: ctx.built.to_vec(),
            trace: r.trace,
        };
        let mut records = self.race(ctx.toolchain, exp, &cfg, ctx.cancel)?;
        if r.instructions {
            match self.count_instructions(ctx) {
                Ok(counts) => {
                    for (lane, count) in counts {
                        match count {
                            Ok(i) => {
                                if let Some(rec) = records.iter_mut().find(|x| x.lane.name == lane)
                                {
                                    rec.instructions = Some(i);
                                }
                            }
                            Err(why) => problems.push(Problem::in_lane(
                                &exp.key,
                                &lane,
                                ProblemKind::Instructions(why.to_string()),
                            )),
                        }
                    }
                }
                Err(LabError::Cancelled) => return Err(LabError::Cancelled),
                Err(e) => problems.push(Problem::in_experiment(
                    &exp.key,
                    ProblemKind::Instructions(e.to_string()),
                )),
            }
        }
        problems.extend(records.iter().filter_map(LaneRecord::problem));
        Ok(records)
    }

    /// What follows a race, once: the thread sweep (`--threads` or lab.toml's
    /// `[threads]`) and the differential check. `expect` is the reference's
    /// answer at the job's size, when the race just gave it.
    fn follow_up(
        &self,
        ctx: &RaceCtx,
        expect: Option<String>,
        report: &mut JobReport,
    ) -> LabResult<()> {
        let exp = &ctx.exp;
        if let Some(counts) = ctx.job.threads.clone().or_else(|| exp.threads.clone()) {
            match self.threads(ctx, expect, &counts) {
                Ok((rows, problems)) => {
                    report.threads = rows;
                    report.problems.extend(problems);
                }
                Err(LabError::Cancelled) => return Err(LabError::Cancelled),
                Err(e) => report.problems.push(Problem::in_experiment(
                    &exp.key,
                    ProblemKind::Threads {
                        threads: None,
                        why: e.to_string(),
                    },
                )),
            }
        }
        if let Some(verify) = &ctx.job.verify {
            match self.verify(ctx.toolchain, exp, ctx.built, verify, ctx.cancel) {
                Ok(records) => {
                    for v in records.iter().filter(|v| v.agreed < v.tried) {
                        report.problems.push(Problem::in_lane(
                            &v.experiment,
                            &v.lane,
                            ProblemKind::Disagrees(v.clone()),
                        ));
                    }
                    report.verify = Some(records);
                }
                Err(LabError::Cancelled) => return Err(LabError::Cancelled),
                // A bad [verify] table is a problem of its own; the race stands.
                Err(e) => report.problems.push(Problem::in_experiment(
                    &exp.key,
                    ProblemKind::Verify(e.to_string()),
                )),
            }
        }
        Ok(())
    }

    fn gil_job(
        &self,
        toolchain: &Toolchain,
        variant: &Variant,
        trace: Option<&RaceJob>,
        cancel: &Cancel,
        report: &mut JobReport,
    ) {
        // Both scenarios at once, each in its own worker, and beside them the
        // untimed tracemalloc run and the start of the scaling run's worker:
        // the scenarios sleep for 2 s and only the order of their lines is
        // checked, so none disturbs another.
        let (runs, traced, scaler) = std::thread::scope(|s| {
            let demos = GIL_ORDER.map(|mode| {
                s.spawn(move || {
                    let run = self.gil(toolchain, mode, variant.clone(), cancel);
                    (self.sink)(Event::GilDone(run.clone()));
                    run
                })
            });
            let traced = trace.map(|r| self.trace(toolchain, r, cancel));
            let scaler = self.scaling_worker(toolchain, variant.clone(), cancel);
            let runs = demos.map(|d| d.join().expect("a GIL scenario thread does not panic"));
            (runs, traced, scaler)
        });
        match traced {
            Some(Ok(traced)) => report.traced = traced,
            Some(Err(e)) => report
                .problems
                .push(Problem::of(ProblemKind::Trace(e.to_string()))),
            None => {}
        }
        if cancel.is_cancelled() {
            return;
        }
        for run in runs {
            if !run.ok {
                report.problems.push(Problem::of(ProblemKind::Gil {
                    mode: run.mode,
                    verdict: run.verdict.clone(),
                }));
            }
            report.gil.push(run);
        }
        if cancel.is_cancelled() {
            return;
        }
        (self.sink)(Event::ScalingStarted);
        let scaling = self.scaling(scaler);
        match &scaling {
            Ok(s) if !s.ok => report
                .problems
                .push(Problem::of(ProblemKind::Scaling(s.verdict.clone()))),
            Err(e) => report
                .problems
                .push(Problem::of(ProblemKind::Scaling(e.to_string()))),
            Ok(_) => {}
        }
        (self.sink)(Event::ScalingDone(scaling.clone()));
        report.scaling = Some(scaling);
    }
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
