//! `Lab`: the lab's facade. It holds the home, the experiments and the
//! seams (workers, builds), and does each step of a job; `pipeline` runs a
//! whole job through it.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::compile::bootstrap::Toolchain;
use super::compile::packages;
use super::error::{LabError, LabResult};
use super::event::{Event, Sink};
use super::experiment::Experiment;
use super::gil::{demo as gil_demo, scaling};
use super::home::clean;
use super::home::places::{Home, Project};
use super::measure::race::{self, RaceConfig};
use super::measure::{threads, verify};
use super::seams::LaneSetup;
use super::seams::{BuildStep, Launcher, Workers};
use super::types::VerifyRecord;
use super::types::{
    BuildInfo, GilMode, GilRun, LaneRecord, Language, Scaling, Target, Training, Variant,
};
use super::why::instructions;
use super::{compile, error, experiment, job, problem, seams, types, variant};
use crate::cancel::Cancel;
use verify::VerifyConfig;

/// The GIL demo's crate in `lab/`: it has a scenario of its own, no lab.toml.
pub const GIL: &str = "gil";

pub struct Lab {
    pub home: Home,
    pub project: Project,
    /// The interpreter the venv is made from.
    pub python: PathBuf,
    pub sink: Sink,
    /// Read again before each race, so an edited lab.toml counts at once.
    experiments: RwLock<Vec<Experiment>>,
    launcher: Arc<dyn Launcher>,
    builder: Arc<dyn BuildStep>,
}

impl Lab {
    /// A lab of the experiments in `dirs`, or of the built-in ones in `lab/`,
    /// with real workers and maturin builds: `python` makes the venv, `pypy`
    /// (None: pypy3 on PATH) runs the PyPy route. Experiments that do not
    /// load come back as errors naming their file.
    pub fn new(
        home: Home,
        project: Project,
        (python, pypy): (PathBuf, Option<PathBuf>),
        sink: Sink,
        dirs: &[PathBuf],
    ) -> (Self, Vec<experiment::LoadError>) {
        let seams: (Arc<dyn Launcher>, Arc<dyn BuildStep>) = (
            Arc::new(seams::Processes { pypy }),
            Arc::new(seams::Maturin::default()),
        );
        Self::with_seams(home, project, python, sink, dirs, seams)
    }

    /// `new`, with the workers and the build step given from outside.
    pub fn with_seams(
        home: Home,
        project: Project,
        python: PathBuf,
        sink: Sink,
        dirs: &[PathBuf],
        (launcher, builder): (Arc<dyn Launcher>, Arc<dyn BuildStep>),
    ) -> (Self, Vec<experiment::LoadError>) {
        let dirs = if dirs.is_empty() {
            vec![project.lab()]
        } else {
            dirs.to_vec()
        };
        let (experiments, errors) = experiment::discover(&dirs);
        let lab = Self {
            home,
            project,
            python,
            sink,
            experiments: RwLock::new(experiments),
            launcher,
            builder,
        };
        (lab, errors)
    }

    /// Every variant the lab's experiments may name: the built-ins and
    /// their own `[[variant]]`s (one name, one set of settings: discovery
    /// refused an experiment that redefined one).
    pub fn variants(&self) -> variant::Variants {
        experiment::table_of(&self.experiments()).unwrap_or_default()
    }

    pub fn experiments(&self) -> Vec<Experiment> {
        self.experiments.read().expect("not poisoned").clone()
    }

    pub fn experiment(&self, key: &str) -> LabResult<Experiment> {
        self.experiments
            .read()
            .expect("not poisoned")
            .iter()
            .find(|e| e.key == key)
            .cloned()
            .ok_or_else(|| LabError::Input(format!("no experiment {key:?} in this lab")))
    }

    /// Reads an experiment's lab.toml again (it may have been edited since)
    /// and keeps the new one; a lab.toml that no longer loads is an error
    /// naming its file and key, and the last good one stays.
    pub fn reload(&self, key: &str) -> LabResult<Experiment> {
        let old = self.experiment(key)?;
        // A race of a lab.toml of several is found by its name; the one
        // experiment of a folder keeps the key the lab gave it.
        let mut all = Experiment::load_all(&old.dir)?;
        let new = match all.iter().position(|e| e.key == key) {
            Some(i) => all.swap_remove(i),
            None if all.len() == 1 => all.remove(0),
            None => {
                return Err(LabError::Input(format!(
                    "{}: no race {key:?} in it any more",
                    old.lab_toml().display()
                )));
            }
        };
        let new = Experiment {
            key: old.key.clone(),
            ..new
        };
        if new != old {
            let mut all = self.experiments.write().expect("not poisoned");
            if let Some(slot) = all.iter_mut().find(|e| e.key == key) {
                *slot = new.clone();
            }
            (self.sink)(Event::ExperimentLoaded(Box::new(new.clone())));
        }
        Ok(new)
    }

    pub fn target(&self, exp: &Experiment, variant: &Variant) -> Target {
        let (training, training_paths) = if variant.spec().pgo {
            Self::training(exp, variant)
        } else {
            Default::default()
        };
        Target {
            module: Some(exp.module.clone()),
            requires: exp.requires.clone(),
            training,
            training_paths,
            ..Target::new(&exp.crate_key(), &exp.dir, variant.clone())
        }
    }

    /// A PGO build's training: every Rust function of `exp` once, on the
    /// default arguments through its setup; and where the setup is found.
    fn training(exp: &Experiment, variant: &Variant) -> (Training, Vec<PathBuf>) {
        let calls = exp
            .lanes(std::slice::from_ref(variant))
            .iter()
            .filter(|lane| lane.language == Language::Rust)
            .map(|lane| exp.call_of(lane))
            .collect();
        let paths = exp
            .reference()
            .dir
            .clone()
            .into_iter()
            .chain(exp.scenario.as_ref().map(|s| s.dir.clone()))
            .collect();
        (Training(calls), paths)
    }

    /// Where a lane of `exp` finds Python packages: the ones it asks for
    /// (installed with its builds), then the venv's.
    fn packages(&self, toolchain: &Toolchain, exp: &Experiment) -> Vec<PathBuf> {
        packages::dir_for(&self.home, toolchain, &exp.requires)
            .into_iter()
            .chain([toolchain.site_packages.clone()])
            .collect()
    }

    pub fn gil_target(&self, variant: &Variant) -> Target {
        Target {
            module: Some(GIL.to_owned()),
            ..Target::new(GIL, &self.project.lab().join(GIL), variant.clone())
        }
    }

    /// What a GIL worker puts on `sys.path`: the scenarios, the `gil` build, the venv.
    fn gil_paths(&self, toolchain: &Toolchain, variant: &Variant) -> [PathBuf; 3] {
        [
            self.project.assets(),
            self.home.site(&self.gil_target(variant)),
            toolchain.site_packages.clone(),
        ]
    }

    /// Every build the lab knows: each experiment in its own variants, and
    /// the GIL crate in debug and release.
    pub fn all_targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = self
            .experiments()
            .iter()
            .flat_map(|e| e.variants.iter().map(|v| self.target(e, v)))
            .collect();
        targets.extend(Variant::defaults().map(|v| self.gil_target(&v)));
        targets
    }

    /// Creates or reuses the venv and maturin. Holds the home's lock, so two
    /// labs sharing a home never set it up at once.
    pub fn bootstrap(&self) -> LabResult<Toolchain> {
        let mut lock = self.home.lock().map_err(LabError::setup)?;
        let _held = self.hold(&mut lock, "set it up").map_err(|e| {
            LabError::setup(anyhow::Error::new(e).context("cannot lock the lab home"))
        })?;
        // A new home's first build is its first experiment's release build
        // (the TUI races it first; `--check` and init's trial build it).
        let release = Variant::release();
        let ahead = self
            .experiments()
            .iter()
            .find(|e| e.variants.contains(&release))
            .map(|e| self.target(e, &release));
        self.builder
            .bootstrap(&self.home, &self.python, &self.sink, ahead.as_ref())
    }

    /// The home's lock, taken at once if it is free; else a word that
    /// another lab has it, then the wait for it.
    fn hold<'l>(
        &self,
        lock: &'l mut fd_lock::RwLock<std::fs::File>,
        what: &str,
    ) -> std::io::Result<fd_lock::RwLockWriteGuard<'l, std::fs::File>> {
        if lock.try_write().is_err() {
            (self.sink)(Event::Waiting(format!(
                "another pyo3-lab is working in {}: waiting for it to finish before this one \
                 can {what}",
                self.home.root().display()
            )));
        }
        lock.write()
    }

    /// The lab home's size on disk (what `pyo3-lab clean` shows by kind).
    pub fn home_bytes(&self) -> u64 {
        clean::usage(&self.home).values().sum()
    }

    /// Workers for one job: spawned through the lab's launcher, killed with `cancel`.
    fn workers<'a>(&'a self, cancel: &'a Cancel) -> Workers<'a> {
        Workers {
            launcher: self.launcher.as_ref(),
            cancel,
        }
    }

    /// What is built already and still current, without building anything.
    pub fn existing(&self, toolchain: &Toolchain, target: &Target) -> Option<BuildInfo> {
        self.builder.existing(&self.home, toolchain, target)
    }

    pub fn build(
        &self,
        toolchain: &Toolchain,
        target: &Target,
        force: bool,
        cancel: &Cancel,
    ) -> LabResult<BuildInfo> {
        let mut lock = self
            .home
            .lock()
            .map_err(|e| LabError::Build(format!("{e:#}")))?;
        let _held = self
            .hold(&mut lock, &format!("build {target}"))
            .map_err(|e| LabError::Build(format!("cannot lock the lab home: {e}")))?;
        self.builder
            .build(&self.home, toolchain, target, force, &self.sink, cancel)
    }

    /// Races `exp` with the Rust lanes of `built` variants; each loads the
    /// current build of its variant. Fails before anything runs on a bad size.
    pub fn race(
        &self,
        toolchain: &Toolchain,
        exp: &Experiment,
        cfg: &RaceConfig,
        cancel: &Cancel,
    ) -> LabResult<Vec<LaneRecord>> {
        let setups = self.setups(toolchain, exp, &cfg.variants);
        race::run(exp, cfg, setups, &self.sink, cancel, &self.workers(cancel))
    }

    /// Checks every lane against the reference on generated inputs.
    pub fn verify(
        &self,
        toolchain: &Toolchain,
        exp: &Experiment,
        variants: &[Variant],
        cfg: &VerifyConfig,
        cancel: &Cancel,
    ) -> LabResult<Vec<VerifyRecord>> {
        let setups = self.setups(toolchain, exp, variants);
        verify::run(exp, cfg, &setups, &self.sink, cancel, &self.workers(cancel))
    }

    /// Calls each implementation from each count of threads at once.
    pub fn threads(
        &self,
        ctx: &job::RaceCtx,
        expect: Option<String>,
        counts: &[u32],
    ) -> LabResult<(Vec<threads::ThreadRow>, Vec<problem::Problem>)> {
        let exp = &ctx.exp;
        let setups = self.setups(ctx.toolchain, exp, ctx.built);
        let args = exp.args_for(ctx.job.size)?;
        let expect = expect.or(exp.expected_for(&args)?);
        let workers = self.workers(ctx.cancel);
        threads::run(exp, &setups, &args, expect, counts, ctx.cancel, &workers)
    }

    /// Counts each lane's instructions per call under callgrind: as many
    /// calls as the race's runs, each Rust lane on the build `counted_site`
    /// gives it.
    pub fn count_instructions(
        &self,
        ctx: &job::RaceCtx,
    ) -> LabResult<Vec<(String, Result<types::Instructions, error::CountError>)>> {
        let sites: Vec<(Variant, Result<PathBuf, error::CountError>)> = ctx
            .built
            .iter()
            .map(|v| (v.clone(), self.counted_site(ctx, v)))
            .collect();
        if ctx.cancel.is_cancelled() {
            return Err(LabError::Cancelled);
        }
        let site_of = |v: &Variant| sites.iter().find(|(s, _)| s == v).map(|(_, r)| r);
        let (setups, unbuilt): (Vec<LaneSetup>, Vec<LaneSetup>) = self
            .setups_on(ctx.toolchain, &ctx.exp, ctx.built, |v| match site_of(&v) {
                Some(Ok(site)) => site.clone(),
                _ => self.home.site(&self.target(&ctx.exp, &v)),
            })
            .into_iter()
            .partition(|s| {
                !s.lane
                    .variant
                    .as_ref()
                    .and_then(site_of)
                    .is_some_and(|r| r.is_err())
            });
        let counting = instructions::Counting {
            size: ctx.job.size,
            calls: ctx.job.runs.max(1) as u32,
            timeout: ctx.job.timeout,
            out_dir: self.home.callgrind(),
            stacks: ctx.job.stacks,
        };
        let mut counts = instructions::count(&ctx.exp, &setups, &counting, &self.sink, ctx.cancel)?;
        for setup in unbuilt {
            if let Some(Err(why)) = setup.lane.variant.as_ref().and_then(site_of) {
                counts.push((setup.lane.name.clone(), Err(why.clone())));
            }
        }
        // A Python lane's own functions, by cProfile: which one to port first.
        let profiles =
            instructions::profile(&ctx.exp, &setups, ctx.job.size, &self.workers(ctx.cancel))?;
        for (lane, profile) in profiles {
            if let Some((_, Ok(i))) = counts.iter_mut().find(|(l, _)| *l == lane) {
                match profile {
                    Ok(hot) => i.python_hot = hot,
                    Err(why) => i.python_hot_failure = Some(why.to_string()),
                }
            }
        }
        Ok(counts)
    }

    /// Where `variant`'s lanes are counted: the raced module when it has
    /// line tables already (debug, or a profile that asks for them), sets
    /// `debug` itself, or is profile-guided (a twin would be trained anew,
    /// on other counts);
    /// else its counted twin with line tables, built now or reused, which
    /// has the raced module's instructions in another layout.
    fn counted_site(
        &self,
        ctx: &job::RaceCtx,
        variant: &Variant,
    ) -> Result<PathBuf, error::CountError> {
        let raced = self.target(&ctx.exp, variant);
        let has_lines = self
            .existing(ctx.toolchain, &raced)
            .is_some_and(|info| info.line_table_bytes > 0);
        let spec = variant.spec();
        // A variant that sets `debug` itself has said what line tables it
        // wants: it is counted as it is raced.
        let sets_debug = spec.config.iter().any(|c| c.contains(".debug="));
        if has_lines || spec.pgo || sets_debug {
            return Ok(self.home.site(&raced));
        }
        let twin = raced.counted();
        self.build(ctx.toolchain, &twin, false, ctx.cancel)
            .map(|_| self.home.site(&twin))
            .map_err(|e| error::CountError::Twin(Box::new(e)))
    }

    /// What each lane of `exp` loads, with the builds of `variants`.
    fn setups(
        &self,
        toolchain: &Toolchain,
        exp: &Experiment,
        variants: &[Variant],
    ) -> Vec<LaneSetup> {
        self.setups_on(toolchain, exp, variants, |v| {
            self.home.site(&self.target(exp, &v))
        })
    }

    /// Builds a route lane's module (Cython, mypyc) from its file, unless
    /// a build of the same inputs is there; the tool's output goes to the
    /// sink line by line.
    pub fn build_route(
        &self,
        toolchain: &Toolchain,
        exp: &Experiment,
        imp: &experiment::Implementation,
        cancel: &Cancel,
    ) -> anyhow::Result<types::RouteBuild> {
        let Some((route, source)) = imp.built_route() else {
            anyhow::bail!("{} is no route that builds", imp.label);
        };
        let label = imp.label.clone();
        (self.sink)(Event::RouteLine(
            label.clone(),
            format!("{route}: {}", source.display()),
        ));
        let packages = self.packages(toolchain, exp);
        let job = compile::route::Job {
            route,
            source,
            toolchain,
            packages: &packages,
        };
        let built = compile::route::ensure(&self.home, &job, cancel, &mut |line| {
            (self.sink)(Event::RouteLine(label.clone(), line))
        })?;
        (self.sink)(Event::RouteBuilt(label, built.clone()));
        Ok(built)
    }

    /// `exp` with each route lane's folder its build's (which may not be
    /// there: then the lane finds the `.py` and refuses it as not compiled).
    fn routed(&self, toolchain: &Toolchain, exp: &Experiment) -> Experiment {
        let mut exp = exp.clone();
        for imp in &mut exp.python {
            if let Some((route, source)) = imp.built_route() {
                imp.dir = Some(compile::route::dir_for(
                    &self.home, toolchain, route, source,
                ));
            }
        }
        exp
    }

    /// What each lane of `exp` loads, a Rust lane the build at `site(variant)`.
    fn setups_on(
        &self,
        toolchain: &Toolchain,
        exp: &Experiment,
        variants: &[Variant],
        site: impl Fn(Variant) -> PathBuf,
    ) -> Vec<LaneSetup> {
        let exp = &self.routed(toolchain, exp);
        let lanes = exp.lanes(variants);
        // A package's own Python code is imported from a build, as its users
        // would import it: the optimized one when it is raced.
        let code_site = variants
            .iter()
            .max()
            .map(|v| self.home.site(&self.target(exp, v)));
        LaneSetup::for_lanes(exp, &lanes, site, code_site, &self.packages(toolchain, exp))
    }

    /// Each Python lane of `r` once more, untimed, under tracemalloc:
    /// (experiment, lane, peak bytes).
    pub fn trace(
        &self,
        toolchain: &Toolchain,
        r: &job::RaceJob,
        cancel: &Cancel,
    ) -> LabResult<Vec<(String, String, u64)>> {
        let exp = self.experiment(&r.experiment)?;
        let variants = r.variants.clone().unwrap_or_else(|| exp.variants.clone());
        let setups = self.setups(toolchain, &exp, &variants);
        let cfg = RaceConfig {
            size: r.size,
            runs: 1,
            budget: Duration::ZERO,
            warmup: 0,
            timeout: r.timeout,
            variants,
            trace: true,
        };
        let traced = race::trace(&exp, &cfg, &setups, &self.workers(cancel))?;
        Ok(traced
            .into_iter()
            .map(|(lane, bytes)| (exp.key.clone(), lane, bytes))
            .collect())
    }

    /// A worker ready to run the parallel-scaling experiment with the `gil`
    /// build of `variant`.
    pub fn scaling_worker(
        &self,
        toolchain: &Toolchain,
        variant: Variant,
        cancel: &Cancel,
    ) -> LabResult<Box<dyn seams::Caller>> {
        let paths = self.gil_paths(toolchain, &variant);
        scaling::prepare(&paths, &self.workers(cancel))
    }

    /// Runs the parallel-scaling experiment in a worker from `scaling_worker`.
    pub fn scaling(&self, worker: LabResult<Box<dyn seams::Caller>>) -> LabResult<Scaling> {
        scaling::run(worker?, &self.sink)
    }

    /// Runs the GIL scenario with the `gil` build of `variant`.
    pub fn gil(
        &self,
        toolchain: &Toolchain,
        mode: GilMode,
        variant: Variant,
        cancel: &Cancel,
    ) -> GilRun {
        let paths = self.gil_paths(toolchain, &variant);
        gil_demo::run(mode, &paths, &self.sink, &self.workers(cancel))
    }
}
