//! The lab itself, headless: bootstrap -> build -> (worker) -> race / GIL.
//! The TUI and `--check` both drive this one API and listen to its events.

pub mod bootstrap;
pub mod build;
pub mod cancel;
pub mod event;
pub mod gil;
pub mod home;
pub mod protocol;
pub mod race;
pub mod stats;
pub mod worker;

use std::path::PathBuf;

use anyhow::{Context, Result};

use bootstrap::Toolchain;
use build::{BuildInfo, Builder, Target, Variant};
use cancel::Cancel;
use event::Sink;
use gil::{GilMode, GilRun};
use home::{Home, Project};
use race::{LaneRecord, LaneSetup, RaceConfig};

/// The experiment crates in `lab/`, in build order.
pub const FIBONACCI: &str = "fibonacci";
pub const GIL: &str = "gil";
pub const CRATES: [&str; 2] = [FIBONACCI, GIL];

/// Every build the lab knows: each crate in each variant.
pub fn all_targets() -> Vec<Target> {
    CRATES
        .iter()
        .flat_map(|c| Variant::ALL.map(|v| Target::new(c, v)))
        .collect()
}

pub struct Lab {
    pub home: Home,
    pub project: Project,
    /// The interpreter the venv is made from.
    pub python: PathBuf,
    pub sink: Sink,
}

impl Lab {
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
            project: &self.project,
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

    /// Races the lanes of `cfg`; each Rust lane loads the current build of its variant.
    pub fn race(
        &self,
        toolchain: &Toolchain,
        cfg: &RaceConfig,
        cancel: &Cancel,
    ) -> Vec<LaneRecord> {
        let setups = cfg
            .lanes
            .iter()
            .map(|&lane| {
                let code = match lane.variant() {
                    None => self.project.assets(),
                    Some(v) => self.home.site(&Target::new(FIBONACCI, v)),
                };
                LaneSetup {
                    lane,
                    paths: vec![code, toolchain.site_packages.clone()],
                }
            })
            .collect();
        race::run(cfg, setups, &self.sink, cancel)
    }

    /// Runs the GIL scenario with the `gil` build of `variant`.
    pub fn gil(
        &self,
        toolchain: &Toolchain,
        mode: GilMode,
        variant: Variant,
        cancel: &Cancel,
    ) -> GilRun {
        let paths = [
            self.project.assets(),
            self.home.site(&Target::new(GIL, variant)),
            toolchain.site_packages.clone(),
        ];
        gil::run(mode, &paths, &self.sink, cancel)
    }
}
