//! The job sequence, written once: what a job needs built, building it, then
//! the race, or the GIL demo and the scaling run, and the problems found.
//! `--check`, the TUI and `bench` are front ends over `Lab::run`.

use super::compile::bootstrap::Toolchain;
use super::error::{CountError, LabError, LabResult};
use super::event::Event;
use super::experiment::Experiment;
use super::lab::Lab;
use super::measure::race::RaceConfig;
use super::problem::{Problem, ProblemKind};
use super::types::{LaneRecord, SweepPoint, Target, Variant};

use crate::cancel::Cancel;

pub use super::job::{GIL_ORDER, Job, JobReport, RaceCtx, RaceJob};

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
                        let record = records.iter_mut().find(|x| x.lane.name == lane);
                        match (count, record) {
                            (Ok(i), Some(rec)) => rec.instructions = Some(i),
                            // Said on the lane, and no problem: nothing went wrong.
                            (Err(why @ CountError::NotCountable), Some(rec)) => {
                                rec.not_counted = Some(why.to_string())
                            }
                            (Ok(_) | Err(CountError::NotCountable), None) => {}
                            (Err(why), _) => problems.push(Problem::in_lane(
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
mod tests;
