//! The lab itself, headless: bootstrap -> build -> (worker) -> race / GIL.
//! The TUI and `--check` both drive this one API and listen to its events.

pub mod bootstrap;
pub mod build;
pub mod cancel;
pub mod event;
pub mod experiment;
pub mod gil;
pub mod home;
pub mod protocol;
pub mod race;
pub mod scaling;
pub mod stats;
pub mod timeline;
pub mod worker;

use std::path::PathBuf;

use anyhow::{Context, Result};

use bootstrap::Toolchain;
use build::{BuildInfo, Builder, Target, Variant};
use cancel::Cancel;
use event::Sink;
use experiment::Experiment;
use gil::{GilMode, GilRun};
use home::{Home, Project};
use race::{LaneRecord, LaneSetup, RaceConfig};

/// The GIL demo's crate in `lab/`: it has a scenario of its own, no lab.toml.
pub const GIL: &str = "gil";

pub struct Lab {
    pub home: Home,
    pub project: Project,
    /// The interpreter the venv is made from.
    pub python: PathBuf,
    pub sink: Sink,
    pub experiments: Vec<Experiment>,
}

impl Lab {
    /// A lab of the experiments in `dirs`, or of the built-in ones in `lab/`.
    /// Experiments that do not load come back as errors naming their file.
    pub fn new(
        home: Home,
        project: Project,
        python: PathBuf,
        sink: Sink,
        dirs: &[PathBuf],
    ) -> (Self, Vec<String>) {
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
            experiments,
        };
        (lab, errors)
    }

    pub fn experiment(&self, key: &str) -> Option<&Experiment> {
        self.experiments.iter().find(|e| e.key == key)
    }

    pub fn target(&self, exp: &Experiment, variant: Variant) -> Target {
        Target::new(&exp.key, &exp.dir, variant)
    }

    pub fn gil_target(&self, variant: Variant) -> Target {
        Target::new(GIL, &self.project.lab().join(GIL), variant)
    }

    /// What a GIL worker puts on `sys.path`: the scenarios, the `gil` build, the venv.
    fn gil_paths(&self, toolchain: &Toolchain, variant: Variant) -> [PathBuf; 3] {
        [
            self.project.assets(),
            self.home.site(&self.gil_target(variant)),
            toolchain.site_packages.clone(),
        ]
    }

    /// Every build the lab knows: each experiment and the GIL crate, in both variants.
    pub fn all_targets(&self) -> Vec<Target> {
        let mut targets: Vec<Target> = self
            .experiments
            .iter()
            .flat_map(|e| Variant::ALL.map(|v| self.target(e, v)))
            .collect();
        targets.extend(Variant::ALL.map(|v| self.gil_target(v)));
        targets
    }

    /// Creates or reuses the venv and maturin. Holds the home's lock, so two
    /// labs sharing a home never set it up at once.
    pub fn bootstrap(&self) -> Result<Toolchain> {
        let mut lock = self.home.lock()?;
        let _held = lock.write().context("cannot lock the lab home")?;
        bootstrap::ensure(&self.home, &self.python, &self.sink)
    }

    fn builder<'a>(&'a self, toolchain: &'a Toolchain, cancel: &'a Cancel) -> Builder<'a> {
        Builder {
            home: &self.home,
            toolchain,
            sink: &self.sink,
            cancel,
        }
    }

    /// What is built already and still current, without building anything.
    pub fn existing(&self, toolchain: &Toolchain, target: &Target) -> Option<BuildInfo> {
        self.builder(toolchain, &Cancel::new()).existing(target)
    }

    pub fn build(
        &self,
        toolchain: &Toolchain,
        target: &Target,
        force: bool,
        cancel: &Cancel,
    ) -> Result<BuildInfo, String> {
        let mut lock = self.home.lock().map_err(|e| e.to_string())?;
        let _held = lock.write().map_err(|e| e.to_string())?;
        self.builder(toolchain, cancel).build(target, force)
    }

    /// Races the lanes of `cfg` on `exp`; each Rust lane loads the current
    /// build of its variant. Fails before anything runs on a bad size.
    pub fn race(
        &self,
        toolchain: &Toolchain,
        exp: &Experiment,
        cfg: &RaceConfig,
        cancel: &Cancel,
    ) -> Result<Vec<LaneRecord>, String> {
        let setups = cfg
            .lanes
            .iter()
            .map(|&lane| {
                let site = lane.variant().map(|v| self.home.site(&self.target(exp, v)));
                LaneSetup::new(exp, lane, site, &toolchain.site_packages)
            })
            .collect();
        race::run(exp, cfg, setups, &self.sink, cancel)
    }

    /// Runs the parallel-scaling experiment with the `gil` build of `variant`.
    pub fn scaling(
        &self,
        toolchain: &Toolchain,
        variant: Variant,
        cancel: &Cancel,
    ) -> Result<scaling::Scaling, String> {
        let paths = self.gil_paths(toolchain, variant);
        scaling::run(&paths, cancel)
    }

    /// Runs the GIL scenario with the `gil` build of `variant`.
    pub fn gil(
        &self,
        toolchain: &Toolchain,
        mode: GilMode,
        variant: Variant,
        cancel: &Cancel,
    ) -> GilRun {
        let paths = self.gil_paths(toolchain, variant);
        gil::run(mode, &paths, &self.sink, cancel)
    }
}
